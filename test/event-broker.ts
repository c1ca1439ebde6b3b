import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { eventNames } from '../lib/events/envelope';

// The tests use the NATS server when one answers (TEST_NATS_URL, or this machine's at
// 127.0.0.1:4222) and the in-process broker otherwise. CI insists on NATS, as it does on
// PostgreSQL. Each platform gets a namespace of its own, deleted when it stops.
export type TestEventBroker = { kind: 'nats' | 'in-process'; environment: Record<string, string>; namespace: string; cleanUp(): Promise<void> };

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

function answers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url.replace(/^nats:/, 'http:'));
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 4222) });
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

let reachable: Promise<boolean> | undefined;

export async function natsAvailable(): Promise<boolean> {
  reachable ??= answers(NATS_URL).then((up) => {
    if (!up && process.env.CI === 'true') throw new Error(`CI runs the tests against NATS, and nothing answers at ${NATS_URL}`);
    return up;
  });
  return reachable;
}

export async function testEventBroker(): Promise<TestEventBroker> {
  const namespace = `test_${process.pid}_${randomBytes(4).toString('hex')}`;
  if (!(await natsAvailable())) return { kind: 'in-process', environment: { EVENTS_IN_PROCESS: 'true', EVENT_NAMESPACE: namespace }, namespace, cleanUp: async () => {} };
  return {
    kind: 'nats',
    namespace,
    environment: { NATS_URL, EVENT_NAMESPACE: namespace },
    async cleanUp() {
      const connection = await connect({ servers: NATS_URL });
      try {
        const jsm = await jetstreamManager(connection);
        const names = eventNames(namespace);
        for (const stream of [names.stream, names.deadLetterStream]) await jsm.streams.delete(stream).catch(() => {});
      } finally {
        await connection.close();
      }
    },
  };
}
