import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { sqltag as sql } from '@prisma/client/runtime/client';
import { Registry } from 'prom-client';
import { migrateDatabase } from '../../dev/databases';
import { startEmbeddedPostgres } from '../../dev/embedded-postgres';
import { PrismaClient } from '../../subgraphs/sales/src/generated/prisma/client';
import { createServerDatabase, databaseMode } from '../../test/databases';
import { natsAvailable, testEventBroker } from '../../test/event-broker';
import { loadSettings, type Settings } from '../config';
import { connectDatabase, type Database } from '../db';
import { logger } from '../logger';
import { parseEvent, type EventData } from './catalog';
import { startConsumer, type ConsumerDefinition } from './consumer';
import { eventNames, type EventEnvelope } from './envelope';
import { InProcessBroker } from './in-process-transport';
import { createEventMetrics } from './metrics';
import { appendEvent, type SqlRunner } from './outbox';
import { startRelay, type EventDatabase } from './relay';
import { connectTransport } from './runtime';
import type { EventTransport, Subscription } from './transport';

// The core of the event backbone against a real database (the sales schema, which has the
// outbox and inbox tables) and over both transports: this machine's NATS JetStream when it
// answers, and the in-process broker.

const log = logger.child({ component: 'events-test' });
// The delays are the test's, kept small so that retries and polling do not slow it down.
const SMALL_DELAYS = { EVENT_RELAY_POLL_MS: '20', EVENT_RELAY_BATCH: '4', EVENT_MAX_DELIVERIES: '3', EVENT_RETRY_DELAY_MS: '10', EVENT_ACK_WAIT_MS: '5000' };

let databaseUrl: string;
let dropDatabase: () => Promise<void>;
let database: Database<PrismaClient>;
let db: EventDatabase;

beforeAll(async () => {
  if ((await databaseMode()) === 'postgres') {
    const created = await createServerDatabase('crm_test_events');
    databaseUrl = created.url;
    dropDatabase = created.drop;
  } else {
    const embedded = await startEmbeddedPostgres({});
    databaseUrl = embedded.connectionString;
    dropDatabase = embedded.stop;
  }
  await migrateDatabase('sales', databaseUrl);
  // Room for 20 transactions at once, each on a connection of its own.
  database = connectDatabase(PrismaClient, databaseUrl, loadSettings({ DATABASE_POOL_SIZE: '25' }).database);
  db = database.prisma as unknown as EventDatabase;
  // What the tests' handlers do: one row per application of an event.
  await db.$executeRaw(sql`CREATE TABLE "TestEffect" ("consumer" text NOT NULL, "eventId" uuid NOT NULL)`);
});

afterAll(async () => {
  await database?.close();
  await dropDatabase?.();
});

beforeEach(async () => {
  await db.$executeRaw(sql`TRUNCATE "OutboxEvent", "EventSequence", "ProcessedEvent", "TestEffect"`);
});

const orderData = (customerId = randomUUID()): EventData<'order.created'> => ({
  customerId,
  status: 'DRAFT',
  currency: 'EUR',
  totalMinor: '1250',
  placedAt: null,
  createdAt: new Date().toISOString(),
});

function envelope(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  return {
    id: randomUUID(),
    type: 'order.created',
    version: 1,
    source: 'sales',
    aggregateType: 'Order',
    aggregateId: randomUUID(),
    sequence: 1,
    occurredAt: new Date().toISOString(),
    data: orderData(),
    ...overrides,
  };
}

type OutboxRow = { id: string; aggregateId: string; sequence: number; publishedAt: Date | null };

const outboxRows = () =>
  db.$queryRaw<OutboxRow[]>(sql`SELECT "id"::text AS "id", "aggregateId", "sequence", "publishedAt" FROM "OutboxEvent" ORDER BY "position"`);

const effects = async (consumer: string) =>
  (await db.$queryRaw<{ eventId: string }[]>(sql`SELECT "eventId"::text AS "eventId" FROM "TestEffect" WHERE "consumer" = ${consumer}`)).map((row) => row.eventId);

// Waits, boundedly, for something the relay or a consumer does in the background.
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 1_000; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`gave up waiting until ${what}`);
}

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const found = (await registry.getMetricsAsJSON()).find((entry) => entry.name === name);
  const values = (found?.values ?? []) as { value: number; labels: Record<string, string | number> }[];
  return values.filter((value) => Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted)).reduce((sum, value) => sum + value.value, 0);
}

describe('appendEvent', () => {
  it('numbers one aggregate 1..20 when 20 transactions append to it at once, and a rolled-back one takes no number', async () => {
    const orderId = randomUUID();
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.$transaction(async (tx) => {
          await appendEvent(tx, 'sales', 'order.created', orderId, orderData());
          // Keeps the aggregate's sequence row locked a while, so the others queue behind it.
          await tx.$executeRaw(sql`SELECT pg_sleep(0.01)`);
        }),
      ),
    );
    const rows = await outboxRows();
    expect(rows.map((row) => row.sequence)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    expect(new Set(rows.map((row) => row.id)).size).toBe(20);

    await expect(
      db.$transaction(async (tx) => {
        await appendEvent(tx, 'sales', 'order.status-changed', orderId, { ...orderData(), status: 'PLACED', previousStatus: 'DRAFT' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await db.$transaction((tx) => appendEvent(tx, 'sales', 'order.status-changed', orderId, { ...orderData(), status: 'PLACED', previousStatus: 'DRAFT' }));
    expect((await outboxRows()).map((row) => row.sequence).slice(-2)).toEqual([20, 21]);
  });
});

describe.each(['in-process', 'nats'] as const)('over the %s transport', (kind) => {
  type Platform = {
    settings: Settings;
    transport: EventTransport;
    registry: Registry;
    metrics: ReturnType<typeof createEventMetrics>;
    deadLetters(): Promise<{ consumer: string; event: EventEnvelope | null; error: string; deliveries: number }[]>;
    publishRaw(type: string, text: string): Promise<void>;
  };
  let platform: Platform;
  const cleanUps: (() => Promise<void>)[] = [];

  async function startPlatform(): Promise<Platform> {
    const registry = new Registry();
    const backlog = async () => Number((await db.$queryRaw<{ count: bigint }[]>(sql`SELECT count(*) AS count FROM "OutboxEvent" WHERE "publishedAt" IS NULL`))[0].count);
    const metrics = createEventMetrics(registry, backlog, async () => ({}));
    if (kind === 'in-process') {
      const broker = new InProcessBroker();
      const settings = loadSettings({ ...SMALL_DELAYS, EVENTS_IN_PROCESS: 'true' });
      const transport = await connectTransport(settings, 'events-test', broker);
      cleanUps.push(() => transport.close());
      return {
        settings,
        transport,
        registry,
        metrics,
        deadLetters: async () => broker.deadLetters,
        publishRaw: async () => {
          throw new Error('the in-process broker carries only events');
        },
      };
    }
    const broker = await testEventBroker();
    cleanUps.push(() => broker.cleanUp());
    const settings = loadSettings({ ...SMALL_DELAYS, ...broker.environment });
    const transport = await connectTransport(settings, 'events-test');
    cleanUps.push(() => transport.close());
    const connection = await connect({ servers: settings.events.natsUrl! });
    cleanUps.push(() => connection.close());
    const jsm = await jetstreamManager(connection);
    const names = eventNames(settings.events.namespace);
    return {
      settings,
      transport,
      registry,
      metrics,
      deadLetters: async () => {
        const { state } = await jsm.streams.info(names.deadLetterStream);
        const letters = [];
        for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) letters.push((await jsm.streams.getMessage(names.deadLetterStream, { seq }))!.json());
        return letters as Awaited<ReturnType<Platform['deadLetters']>>;
      },
      publishRaw: async (type, text) => void (await jsm.jetstream().publish(names.subjectOf(type), text)),
    };
  }

  // Without a NATS server (only outside CI: natsAvailable throws there), the NATS half has nothing to run against.
  const test = (name: string, body: () => Promise<void>) =>
    it(name, async () => {
      if (kind === 'nats' && !(await natsAvailable())) return console.warn(`NATS does not answer: not run over NATS: ${name}`);
      platform = await startPlatform();
      await body();
    });

  afterEach(async () => {
    while (cleanUps.length) await cleanUps.pop()!();
  });

  const relay = () => {
    const running = startRelay({ db, databaseUrl, transport: platform.transport, settings: platform.settings.events.relay, metrics: platform.metrics, log });
    cleanUps.push(() => running.stop());
    return running;
  };

  const consume = async (consumer: ConsumerDefinition<SqlRunner>, transport = platform.transport): Promise<Subscription> => {
    const subscription = await startConsumer({ consumer, db, transport, settings: platform.settings.events.consumer, metrics: platform.metrics, log });
    cleanUps.push(() => subscription.stop());
    return subscription;
  };

  const published = async (types = ['order.>']) => {
    const events: EventEnvelope[] = [];
    await platform.transport.replay(types, async (event) => void events.push(event));
    return events;
  };

  const recordEffect = (name: string) => async (tx: SqlRunner, event: EventEnvelope) => {
    parseEvent(event, 'order.created');
    await tx.$executeRaw(sql`INSERT INTO "TestEffect" ("consumer", "eventId") VALUES (${name}, ${event.id}::uuid)`);
  };

  test('the relay publishes committed events in commit order and marks them; a rolled-back transaction publishes nothing', async () => {
    const orders = [randomUUID(), randomUUID(), randomUUID()];
    for (let round = 0; round < 5; round++) {
      for (const orderId of orders) await db.$transaction((tx) => appendEvent(tx, 'sales', 'order.created', orderId, orderData()));
    }
    const rolledBack = randomUUID();
    await expect(
      db.$transaction(async (tx) => {
        await appendEvent(tx, 'sales', 'order.created', rolledBack, orderData());
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await metric(platform.registry, 'events_outbox_backlog')).toBe(15);

    await relay().drain();
    // drain() leaves a batch to the relay loop when the loop holds the relays' lock.
    await eventually('the relay published the outbox', async () => (await outboxRows()).every((row) => row.publishedAt !== null));

    const rows = await outboxRows();
    expect(rows).toHaveLength(15);
    expect(rows.every((row) => row.publishedAt !== null)).toBe(true);
    const events = await published();
    expect(events.map((event) => event.id)).toEqual(rows.map((row) => row.id));
    for (const orderId of orders) expect(events.filter((event) => event.aggregateId === orderId).map((event) => event.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(events.some((event) => event.aggregateId === rolledBack)).toBe(false);
    expect(await metric(platform.registry, 'events_published_total')).toBe(15);
    expect(await metric(platform.registry, 'events_outbox_backlog')).toBe(0);
  });

  test('an event committed while the relay runs is published without being asked for', async () => {
    relay();
    const id = await db.$transaction((tx) => appendEvent(tx, 'sales', 'order.created', randomUUID(), orderData()));
    await eventually('the relay published the event', async () => (await outboxRows()).every((row) => row.publishedAt !== null));
    expect((await published()).map((event) => event.id)).toEqual([id]);
  });

  test('an event published twice (the relay died before marking it) is stored once', async () => {
    for (let index = 0; index < 3; index++) await db.$transaction((tx) => appendEvent(tx, 'sales', 'order.created', randomUUID(), orderData()));
    const rows = await db.$queryRaw<(Omit<EventEnvelope, 'occurredAt'> & { occurredAt: Date })[]>(sql`
      SELECT "id"::text AS "id", "type", "version", "source", "aggregateType", "aggregateId", "sequence", "data", "occurredAt" FROM "OutboxEvent" ORDER BY "position"`);
    for (const row of rows) await platform.transport.publish({ ...row, occurredAt: row.occurredAt.toISOString() });

    await relay().drain();
    await eventually('the relay published the outbox', async () => (await outboxRows()).every((row) => row.publishedAt !== null));

    expect((await published()).map((event) => event.id)).toEqual(rows.map((row) => row.id));
  });

  test('a consumer applies a redelivered event once', async () => {
    // Loses the acknowledgement of each event's first delivery, as when a consumer dies between
    // its commit and its ack: the broker delivers the event again.
    const acknowledged = new Set<string>();
    const losingFirstAcks: EventTransport = Object.create(platform.transport);
    losingFirstAcks.consume = (consumer, types, onDelivery) =>
      platform.transport.consume(consumer, types, (delivery) =>
        onDelivery({
          ...delivery,
          ack: () => {
            const id = delivery.event!.id;
            if (acknowledged.has(id)) return delivery.ack();
            acknowledged.add(id);
            delivery.retry(1);
          },
        }),
      );
    const events = [envelope(), envelope(), envelope()];
    for (const event of events) await platform.transport.publish(event);
    await consume({ name: 'redelivered', handlers: { 'order.created': recordEffect('redelivered') } }, losingFirstAcks);

    const labels = { consumer: 'redelivered' };
    await eventually('every event came twice', async () => (await metric(platform.registry, 'events_duplicates_total', labels)) === 3);
    expect((await effects('redelivered')).sort()).toEqual(events.map((event) => event.id).sort());
    expect(await metric(platform.registry, 'events_consumed_total', labels)).toBe(3);
    const inbox = await db.$queryRaw<{ count: bigint }[]>(sql`SELECT count(*) AS count FROM "ProcessedEvent" WHERE "consumer" = 'redelivered'`);
    expect(Number(inbox[0].count)).toBe(3);
  });

  test('an event whose handler keeps failing is tried EVENT_MAX_DELIVERIES times, then dead-lettered, and the events after it still flow', async () => {
    const failing = envelope();
    const after = [envelope(), envelope()];
    const attempts = new Map<string, number>();
    const record = recordEffect('failing');
    await consume({
      name: 'failing',
      handlers: {
        'order.created': async (tx, event) => {
          attempts.set(event.id, (attempts.get(event.id) ?? 0) + 1);
          if (event.id === failing.id) throw new Error('the read model refuses this event');
          await record(tx, event);
        },
      },
    });
    for (const event of [failing, ...after]) await platform.transport.publish(event);

    const labels = { consumer: 'failing' };
    await eventually('the failing event was dead-lettered', async () => (await metric(platform.registry, 'events_dead_lettered_total', labels)) === 1);
    await eventually('the events after it were applied', async () => (await effects('failing')).length === 2);
    const { maxDeliveries } = platform.settings.events.consumer;
    expect(maxDeliveries).toBe(3);
    expect(attempts.get(failing.id)).toBe(maxDeliveries);
    expect((await effects('failing')).sort()).toEqual(after.map((event) => event.id).sort());
    const letters = await platform.deadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ consumer: 'failing', event: { id: failing.id }, error: 'the read model refuses this event', deliveries: maxDeliveries });
    expect(await metric(platform.registry, 'events_redelivered_total', labels)).toBe(maxDeliveries - 1);
    expect(await metric(platform.registry, 'events_consumed_total', labels)).toBe(2);
    // Nothing of the failed attempts stayed in the inbox: each rolled back with its effect.
    const inbox = await db.$queryRaw<{ eventId: string }[]>(sql`SELECT "eventId"::text AS "eventId" FROM "ProcessedEvent" WHERE "consumer" = 'failing'`);
    expect(inbox.map((row) => row.eventId).sort()).toEqual(after.map((event) => event.id).sort());
  });

  test('a poison event (a version this consumer does not know) is dead-lettered at its first delivery', async () => {
    const poison = envelope({ version: 99 });
    const good = envelope();
    await consume({ name: 'poisoned', handlers: { 'order.created': recordEffect('poisoned') } });
    await platform.transport.publish(poison);
    if (kind === 'nats') await platform.publishRaw('order.created', 'this is not an event');
    await platform.transport.publish(good);

    const labels = { consumer: 'poisoned' };
    const expected = kind === 'nats' ? 2 : 1;
    await eventually('the poison was dead-lettered', async () => (await metric(platform.registry, 'events_dead_lettered_total', labels)) === expected);
    await eventually('the good event was applied', async () => (await effects('poisoned')).length === 1);
    expect(await effects('poisoned')).toEqual([good.id]);
    // Consumers apply deliveries concurrently, so the letters may come in either order.
    const letters = await platform.deadLetters();
    const poisoned = letters.find((letter) => letter.event !== null);
    expect(poisoned).toMatchObject({ consumer: 'poisoned', event: { id: poison.id }, deliveries: 1 });
    expect(poisoned!.error).toMatch(/order\.created version 99 is not known/);
    if (kind === 'nats') expect(letters.find((letter) => letter.event === null)).toMatchObject({ consumer: 'poisoned', event: null, error: 'unreadable message: not JSON', deliveries: 1 });
    expect(await metric(platform.registry, 'events_redelivered_total', labels)).toBe(0);
  });

  test('a consumer reads only the types it has handlers for, and a restarted one resumes where it stopped', async () => {
    const handlers = { 'order.created': recordEffect('resuming'), 'order.status-changed': async () => {} };
    const first = await consume({ name: 'resuming', handlers });
    const before = envelope();
    await platform.transport.publish(envelope({ type: 'opportunity.created', aggregateType: 'Opportunity' }));
    await platform.transport.publish(before);
    await eventually('the first event was applied', async () => (await effects('resuming')).length === 1);
    await first.stop();

    const after = envelope();
    await platform.transport.publish(after);
    await consume({ name: 'resuming', handlers });
    await eventually('the event sent while it was stopped was applied', async () => (await effects('resuming')).length === 2);
    expect((await effects('resuming')).sort()).toEqual([before.id, after.id].sort());
    expect(await metric(platform.registry, 'events_dead_lettered_total')).toBe(0);
    expect(await metric(platform.registry, 'events_duplicates_total')).toBe(0);
  });
});
