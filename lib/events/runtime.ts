import { sqltag as sql } from '@prisma/client/runtime/client';
import type { Registry } from 'prom-client';
import { InsecureConfigurationError } from '../auth';
import type { Settings } from '../config';
import { logger } from '../logger';
import { startConsumer, type ConsumerDefinition } from './consumer';
import { InProcessBroker } from './in-process-transport';
import { createEventMetrics } from './metrics';
import { NatsTransport } from './nats-transport';
import { startRelay, type EventDatabase } from './relay';
import type { EventTransport, Subscription } from './transport';

export type EventRuntime = {
  transport: EventTransport;
  // Resolves when this subgraph's outbox is empty and its consumers have nothing pending:
  // what tests wait for before they compare databases.
  settled(): Promise<{ backlog: number; pending: number }>;
  status(): 'up' | 'down';
  stop(): Promise<void>;
};

export async function connectTransport(settings: Settings, clientName: string, broker?: InProcessBroker): Promise<EventTransport> {
  const { natsUrl, allowInProcess, namespace, nats } = settings.events;
  if (natsUrl) return NatsTransport.connect({ url: natsUrl, namespace, ...nats }, clientName);
  if (settings.production && !allowInProcess) {
    throw new InsecureConfigurationError('Refusing to start in production: NATS_URL is not set (set EVENTS_IN_PROCESS=true only for a one-process deployment)');
  }
  return (broker ?? new InProcessBroker()).transport();
}

// Each subgraph's part of the event backbone: the relay that publishes its outbox and the
// consumers that keep its read models, over its own small pool of database connections so
// that event work neither waits for nor is counted with the requests'.
export async function startEvents(options: {
  service: string;
  settings: Settings;
  db: EventDatabase;
  databaseUrl: string;
  consumers: readonly ConsumerDefinition<never>[];
  registry: Registry;
  broker?: InProcessBroker;
}): Promise<EventRuntime> {
  const { service, settings, db } = options;
  const log = logger.child({ service, component: 'events' });
  const transport = await connectTransport(settings, service, options.broker);
  const subscriptions = new Map<string, Subscription>();
  const backlog = async () => Number((await db.$queryRaw<{ count: bigint }[]>(sql`SELECT count(*) AS count FROM "OutboxEvent" WHERE "publishedAt" IS NULL`))[0].count);
  const pendingByConsumer = async () => Object.fromEntries(await Promise.all([...subscriptions].map(async ([name, subscription]) => [name, await subscription.pending()] as const)));
  const metrics = createEventMetrics(options.registry, backlog, pendingByConsumer);
  const relay = startRelay({ db, databaseUrl: options.databaseUrl, transport, settings: settings.events.relay, metrics, log });
  try {
    for (const consumer of options.consumers) {
      subscriptions.set(consumer.name, await startConsumer({ consumer, db, transport, settings: settings.events.consumer, metrics, log }));
    }
  } catch (error) {
    await Promise.all([...subscriptions.values()].map((subscription) => subscription.stop()));
    await relay.stop();
    await transport.close();
    throw error;
  }
  return {
    transport,
    settled: async () => {
      await relay.drain();
      const pending = Object.values(await pendingByConsumer()).reduce((sum, count) => sum + count, 0);
      return { backlog: await backlog(), pending };
    },
    status: () => transport.status(),
    stop: async () => {
      await Promise.all([...subscriptions.values()].map((subscription) => subscription.stop()));
      await relay.stop();
      await transport.close();
    },
  };
}
