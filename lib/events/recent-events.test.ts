import { randomUUID } from 'node:crypto';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { natsAvailable, testEventBroker } from '../../test/event-broker';
import { startTcpProxy } from '../../test/process-platform';
import { eventNames, type EventEnvelope, type EventNames } from './envelope';
import { InProcessBroker } from './in-process-transport';
import { NatsTransport } from './nats-transport';
import { RecentEvents, type FeedEntry } from './recent-events';
import type { EventTransport } from './transport';

// The window of recent events a gateway keeps for resuming subscribers, over both transports:
// this machine's NATS JetStream when it answers (CI insists on it), and the in-process broker.

const HOUR = 3_600_000;
const WIDE = { windowMs: HOUR, maxEvents: 1_000 };

function envelope(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  return {
    id: randomUUID(),
    type: 'customer.updated',
    version: 1,
    source: 'customer',
    aggregateType: 'Customer',
    aggregateId: randomUUID(),
    sequence: 1,
    occurredAt: new Date().toISOString(),
    data: {},
    ...overrides,
  };
}

const ids = (entries: FeedEntry[] | undefined) => entries?.map((entry) => entry.event.id);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Waits, boundedly, for what the feed does in the background.
async function until(what: string, check: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 1_500; attempt++) {
    if (check()) return;
    await sleep(20);
  }
  throw new Error(`gave up waiting until ${what}`);
}

describe.each(['in-process', 'nats'] as const)('recent events over the %s transport', (kind) => {
  type Platform = {
    // What the subgraphs publish through.
    publisher: EventTransport;
    // A transport of a gateway replica of its own (over NATS: a connection of its own).
    replica(url?: string): Promise<EventTransport>;
    natsUrl: string;
    jsm: JetStreamManager;
    names: EventNames;
  };
  let platform: Platform;
  const cleanUps: (() => Promise<void>)[] = [];

  async function startPlatform(): Promise<Platform> {
    if (kind === 'in-process') {
      const broker = new InProcessBroker();
      return { publisher: broker.transport(), replica: async () => broker.transport(), natsUrl: '', jsm: undefined!, names: eventNames('') };
    }
    const broker = await testEventBroker();
    cleanUps.push(() => broker.cleanUp());
    const settings = { url: broker.environment.NATS_URL, namespace: broker.namespace, duplicateWindowMs: 60_000, ackWaitMs: 30_000, replicas: 1 };
    const replica = async (url = settings.url) => {
      const transport = await NatsTransport.connect({ ...settings, url }, 'recent-events-test');
      cleanUps.push(() => transport.close());
      return transport;
    };
    const publisher = await replica();
    const connection = await connect({ servers: settings.url });
    cleanUps.push(() => connection.close());
    return { publisher, replica, natsUrl: settings.url, jsm: await jetstreamManager(connection), names: eventNames(broker.namespace) };
  }

  const test = (name: string, body: () => Promise<void>) =>
    it(name, async () => {
      if (kind === 'nats' && !(await natsAvailable())) return console.warn(`NATS does not answer: not run over NATS: ${name}`);
      platform = await startPlatform();
      await body();
    });
  const natsTest = kind === 'nats' ? test : it.skip;

  afterEach(async () => {
    while (cleanUps.length) await cleanUps.pop()!();
  });

  const start = async (options = WIDE, transport?: EventTransport) => {
    const recent = await RecentEvents.start(transport ?? (await platform.replica()), options);
    cleanUps.push(() => recent.stop());
    return recent;
  };

  const publish = async (count: number, overrides: Partial<EventEnvelope> = {}) => {
    const events = Array.from({ length: count }, () => envelope(overrides));
    for (const event of events) await platform.publisher.publish(event);
    return events;
  };

  const consumers = async () => (await platform.jsm.consumers.list(platform.names.stream).next()).map((info) => info.name);

  test('holds the events published before it started; after() gives the ones after an id, in order', async () => {
    const events = await publish(5);
    const recent = await start();

    expect(recent.latest()).toBe(5);
    expect(recent.after(events[1].id)).toEqual(events.slice(2).map((event, index) => ({ position: index + 3, event })));
    expect(recent.after(events[4].id)).toEqual([]);
    expect(recent.after(randomUUID())).toBeUndefined();
  });

  test('starts on an empty stream, and holds the events that come', async () => {
    const recent = await start();
    expect(recent.latest()).toBe(0);
    expect(recent.after(randomUUID())).toBeUndefined();
    const live = await publish(2);
    await until('the live events are held', () => recent.latest() === 2);
    expect(ids(recent.after(live[0].id))).toEqual([live[1].id]);
  });

  test('does not hold the events from before its window, and drops an entry the window after receiving it', async () => {
    const windowMs = 1_500;
    // The in-process broker goes by occurredAt, JetStream by when it stored the event.
    const old = await publish(2, { occurredAt: new Date(Date.now() - HOUR).toISOString() });
    if (kind === 'nats') await sleep(windowMs + 100);
    const recent = await publish(2);
    const window = await start({ windowMs, maxEvents: 1_000 });

    expect(window.latest()).toBe(2);
    expect(window.after(old[0].id)).toBeUndefined();
    expect(window.after(old[1].id)).toBeUndefined();
    expect(ids(window.after(recent[0].id))).toEqual([recent[1].id]);

    await sleep(windowMs + 100);
    expect(window.after(recent[0].id)).toBeUndefined();
    expect(window.after(recent[1].id)).toBeUndefined();
  });

  test('holds at most maxEvents, the newest', async () => {
    const events = await publish(5);
    const recent = await start({ windowMs: HOUR, maxEvents: 3 });
    expect(recent.after(events[0].id)).toBeUndefined();
    expect(recent.after(events[1].id)).toBeUndefined();
    expect(ids(recent.after(events[2].id))).toEqual([events[3].id, events[4].id]);

    const [live] = await publish(1);
    await until('the live event is held', () => recent.latest() === 6);
    expect(recent.after(events[2].id)).toBeUndefined();
    expect(ids(recent.after(events[3].id))).toEqual([events[4].id, live.id]);
  });

  test('gives listeners the live entries in order; one that throws neither stops the feed nor the others', async () => {
    const before = await publish(2);
    const recent = await start();
    const seen: FeedEntry[] = [];
    recent.onEvent(() => {
      throw new Error('this listener is broken');
    });
    const unsubscribe = recent.onEvent((entry) => seen.push(entry));
    const later: FeedEntry[] = [];
    recent.onEvent((entry) => later.push(entry));

    const live = await publish(5);
    await until('the listener saw the live events', () => seen.length === 5);
    expect(seen).toEqual(live.map((event, index) => ({ position: index + 3, event })));
    expect(ids(recent.after(before[1].id))).toEqual(live.map((event) => event.id));

    unsubscribe();
    const [last] = await publish(1);
    await until('the other listener saw the last event', () => later.length === 6);
    expect(later[5].event.id).toBe(last.id);
    expect(seen).toHaveLength(5);
  });

  test('an event delivered twice is held once', async () => {
    const transport = await platform.replica();
    const twice: EventTransport = Object.create(transport);
    twice.follow = (since, onEvent) =>
      transport.follow(since, (event) => {
        onEvent(event);
        onEvent(event);
      });
    const before = await publish(2);
    const recent = await start(WIDE, twice);
    const seen: FeedEntry[] = [];
    recent.onEvent((entry) => seen.push(entry));
    const live = await publish(2);

    await until('the live events are held', () => recent.latest() === 4);
    expect(ids(recent.after(before[0].id))).toEqual([before[1], ...live].map((event) => event.id));
    expect(seen.map((entry) => entry.position)).toEqual([3, 4]);
  });

  test('two replicas on the same stream each hold every event; stopped, they leave nothing on the broker', async () => {
    const before = await publish(3);
    const [first, second] = await Promise.all([start(), start()]);
    if (kind === 'nats') expect(await consumers()).toHaveLength(2);
    const live = await publish(3);
    const all = [...before, ...live].map((event) => event.id);

    for (const recent of [first, second]) {
      await until('both replicas hold the live events', () => recent.latest() === 6);
      expect(ids(recent.after(before[0].id))).toEqual(all.slice(1));
    }
    await first.stop();
    await second.stop();
    if (kind === 'nats') expect(await consumers()).toEqual([]);
  });

  natsTest('skips a message in the stream that is not an event', async () => {
    const [first] = await publish(1);
    await platform.jsm.jetstream().publish(platform.names.subjectOf('customer.updated'), 'this is not an event');
    const [second] = await publish(1);
    const recent = await start();
    expect(recent.latest()).toBe(2);
    expect(ids(recent.after(first.id))).toEqual([second.id]);
  });

  natsTest('carries on after the connection drops, and after the server lost its consumer, each event once and in order', async () => {
    const proxy = await startTcpProxy(new URL(platform.natsUrl));
    cleanUps.push(() => proxy.stop());
    const before = await publish(2);
    const recent = await start(WIDE, await platform.replica(`nats://127.0.0.1:${proxy.port}`));

    await proxy.cut();
    const whileCut = await publish(2);
    await proxy.restore();
    await until('the events published while it was cut off are held', () => recent.latest() === 4);

    await proxy.cut();
    // What a restarted server forgets: the consumers it kept in memory.
    const [consumer] = await consumers();
    await platform.jsm.consumers.delete(platform.names.stream, consumer);
    const whileLost = await publish(3);
    await proxy.restore();
    await until('the events published while its consumer was lost are held', () => recent.latest() === 7);
    const live = await publish(1);
    await until('a live event is held', () => recent.latest() === 8);

    expect(ids(recent.after(before[0].id))).toEqual([before[1], ...whileCut, ...whileLost, ...live].map((event) => event.id));
    expect(await consumers()).toHaveLength(1);
  });

  natsTest('starts while NATS cannot be reached, and fills its window once it can', async () => {
    const proxy = await startTcpProxy(new URL(platform.natsUrl));
    cleanUps.push(() => proxy.stop());
    const transport = await platform.replica(`nats://127.0.0.1:${proxy.port}`);
    const before = await publish(2);
    await proxy.cut();
    await until('the transport sees NATS down', () => transport.status() === 'down');

    const recent = await start(WIDE, transport);
    expect(recent.latest()).toBe(0);
    await proxy.restore();
    const live = await publish(1);
    await until('the window is filled', () => recent.latest() === 3);
    expect(ids(recent.after(before[0].id))).toEqual([before[1].id, live[0].id]);
  });
});
