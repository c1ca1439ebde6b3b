import pg from 'pg';
import { sqltag as sql } from '@prisma/client/runtime/client';
import type { Logger } from 'pino';
import type { EventEnvelope } from './envelope';
import { OUTBOX_CHANNEL, type SqlRunner } from './outbox';
import type { EventTransport } from './transport';
import type { EventMetrics } from './metrics';

export type EventDatabase = SqlRunner & {
  $transaction<R>(work: (tx: SqlRunner) => Promise<R>, options?: { timeout?: number; maxWait?: number }): Promise<R>;
};

export type RelaySettings = { pollMs: number; batchSize: number; retentionHours: number };

type OutboxRow = Omit<EventEnvelope, 'occurredAt'> & { position: bigint; occurredAt: Date };

// Any one number shared by every relay of a database: replicas of a subgraph take turns, so
// events leave in the order they were committed.
const RELAY_LOCK = 7_346_581;

// Publishes committed outbox rows, oldest first, and marks them published. A batch is marked
// only after the broker stored all of it; if the process dies in between, the batch is sent
// again and the broker drops the copies (the event id is the message id). Woken by the
// NOTIFY that appendEvent sends at commit, and by a timer in case a notification was missed.
export function startRelay(options: {
  db: EventDatabase;
  databaseUrl: string;
  transport: EventTransport;
  settings: RelaySettings;
  metrics: EventMetrics;
  log: Logger;
}): { stop(): Promise<void>; drain(): Promise<void> } {
  const { db, transport, settings, metrics, log } = options;
  let running = true;
  let wake: (() => void) | null = null;
  let woken = false;
  let lastCleanup = 0;
  const nudge = () => {
    woken = true;
    wake?.();
  };

  const listener = new pg.Client({ connectionString: options.databaseUrl });
  listener.on('notification', nudge);
  listener.on('error', () => {});
  const listening = listener
    .connect()
    .then(() => listener.query(`LISTEN ${OUTBOX_CHANNEL}`))
    .catch((error: Error) => log.warn({ err: error.message }, 'outbox relay cannot listen for commits; polling only'));

  async function publishBatch(): Promise<number> {
    return db.$transaction(
      async (tx) => {
        const [{ locked }] = await tx.$queryRaw<{ locked: boolean }[]>(sql`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK}) AS locked`);
        if (!locked) return 0;
        const rows = await tx.$queryRaw<OutboxRow[]>(sql`
          SELECT "position", "id"::text AS "id", "type", "version", "source", "aggregateType", "aggregateId", "sequence", "data", "occurredAt"
          FROM "OutboxEvent" WHERE "publishedAt" IS NULL ORDER BY "position" LIMIT ${settings.batchSize}`);
        if (!rows.length) return 0;
        // Sent in order on one connection, so the stream stores them in this order.
        await Promise.all(rows.map(({ position: _position, occurredAt, ...event }) => transport.publish({ ...event, occurredAt: occurredAt.toISOString() })));
        await tx.$executeRaw(sql`UPDATE "OutboxEvent" SET "publishedAt" = now() WHERE "position" = ANY(${rows.map((row) => row.position)}::int8[])`);
        return rows.length;
      },
      { timeout: 30_000, maxWait: 10_000 },
    );
  }

  async function cleanUp(): Promise<void> {
    if (Date.now() - lastCleanup < 3_600_000) return;
    lastCleanup = Date.now();
    await db.$executeRaw(sql`DELETE FROM "OutboxEvent" WHERE "publishedAt" < now() - make_interval(hours => ${settings.retentionHours})`);
  }

  let draining: Promise<void> = Promise.resolve();
  async function drain(): Promise<void> {
    let published: number;
    do {
      published = await publishBatch();
      metrics.published.inc(published);
    } while (published === settings.batchSize && running);
  }

  const loop = (async () => {
    await listening;
    let failures = 0;
    while (running) {
      woken = false;
      try {
        draining = drain();
        await draining;
        await cleanUp();
        failures = 0;
      } catch (error) {
        failures++;
        metrics.relayFailures.inc();
        if (failures === 1 || failures % 20 === 0) log.warn({ err: (error as Error).message, failures }, 'outbox relay could not publish; will retry');
      }
      if (!running) break;
      if (woken && failures === 0) continue;
      // After a failure, back off up to 5 s; the broker's return is noticed at the next try.
      const delay = failures ? Math.min(5_000, 100 * 2 ** Math.min(failures, 6)) : settings.pollMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        if (!failures) {
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        }
      });
      wake = null;
    }
  })();

  return {
    drain: async () => {
      await draining.catch(() => {});
      await drain();
    },
    stop: async () => {
      running = false;
      wake?.();
      await loop;
      await listener.end().catch(() => {});
    },
  };
}
