import { PoisonEventError, parseEvent } from '../../../lib/events/catalog';
import { applyOnce, type ConsumerDefinition, type EventHandler } from '../../../lib/events/consumer';
import { aggregateUuid, rememberCancelledHold } from '../../../lib/events/known-customers';
import type { EventDatabase } from '../../../lib/events/relay';
import type { EventTransport } from '../../../lib/events/transport';
import { Prisma, type PrismaClient } from './generated/prisma/client';
import { COUNTED_ORDER_STATUSES } from './rules';

// The customer analysis (RFM) from the sales service's order events: OrderFact keeps each
// order's last known state, CustomerOrderStatistics what the customer's orders add up to per
// currency. Scores are ranked from the statistics when read (loaders.ts).

type Tx = Prisma.TransactionClient;

// Any number distinct from the relay's lock; two int4 keys live apart from one-bigint keys anyway.
const ANALYSIS_LOCK = 7_346_582;

// Transactions that recompute one customer's statistics (an order event, an erasure) take turns,
// so each one's recomputation sees the other's committed order rows.
export async function lockCustomerAnalysis(tx: Tx, customerId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ANALYSIS_LOCK}::int4, hashtext(${customerId}))`;
}

function insertStatistics(where: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO "CustomerOrderStatistics" ("customerId", "currency", "frequency", "monetaryMinor", "lastOrderAt")
    SELECT f."customerId", f."currency", count(*)::int, sum(f."totalMinor"), max(COALESCE(f."placedAt", f."createdAt"))
    FROM "OrderFact" f
    WHERE ${where} AND NOT f."deleted" AND f."status" = ANY(${[...COUNTED_ORDER_STATUSES]}::text[])
      AND NOT EXISTS (SELECT 1 FROM "KnownCustomer" k WHERE k."id" = f."customerId" AND k."erased")
    GROUP BY f."customerId", f."currency"`;
}

// From the customer's order rows, never incrementally: the result does not depend on the order
// the events arrived in, nor on one being applied twice.
export async function recomputeStatistics(tx: Tx, customerId: string): Promise<void> {
  await lockCustomerAnalysis(tx, customerId);
  await tx.customerOrderStatistics.deleteMany({ where: { customerId } });
  await tx.$executeRaw(insertStatistics(Prisma.sql`f."customerId" = ${customerId}::uuid`));
}

// Every customer's statistics, from an empty table (the seed, the rebuild).
export async function fillStatistics(db: Tx | PrismaClient): Promise<number> {
  return db.$executeRaw(insertStatistics(Prisma.sql`TRUE`));
}

const utc = (timestamp: string | null) => (timestamp === null ? Prisma.sql`NULL` : Prisma.sql`(${timestamp}::timestamptz AT TIME ZONE 'UTC')`);

// Newer state wins; an older event arriving late, or any event after the deletion, changes nothing.
const applyOrderState =
  (type: 'order.created' | 'order.status-changed'): EventHandler<Tx> =>
  async (tx, event) => {
    const orderId = aggregateUuid(event);
    const order = parseEvent(event, type);
    await tx.$executeRaw`
      INSERT INTO "OrderFact" ("orderId", "customerId", "status", "currency", "totalMinor", "placedAt", "createdAt", "sequence")
      VALUES (${orderId}::uuid, ${order.customerId}::uuid, ${order.status}, ${order.currency}, ${order.totalMinor}::bigint, ${utc(order.placedAt)}, ${utc(order.createdAt)}, ${event.sequence})
      ON CONFLICT ("orderId") DO UPDATE SET
        "customerId" = EXCLUDED."customerId", "status" = EXCLUDED."status", "currency" = EXCLUDED."currency", "totalMinor" = EXCLUDED."totalMinor",
        "placedAt" = EXCLUDED."placedAt", "createdAt" = EXCLUDED."createdAt", "sequence" = EXCLUDED."sequence"
      WHERE "OrderFact"."sequence" < EXCLUDED."sequence" AND NOT "OrderFact"."deleted"`;
    await recomputeStatistics(tx, order.customerId);
  };

export const ORDER_EVENT_TYPES = ['order.created', 'order.status-changed', 'order.deleted', 'order.deletion-cancelled'] as const;

export const marketingOrders: ConsumerDefinition<Tx> = {
  name: 'marketing-orders',
  handlers: {
    'order.created': applyOrderState('order.created'),
    'order.status-changed': applyOrderState('order.status-changed'),
    // A tombstone without the order's state, whether or not it arrived (so the row does not depend
    // on the order events came in), which no late event can revive.
    'order.deleted': async (tx, event) => {
      const orderId = aggregateUuid(event);
      const { customerId } = parseEvent(event, 'order.deleted');
      await tx.$executeRaw`
        INSERT INTO "OrderFact" ("orderId", "customerId", "deleted", "sequence") VALUES (${orderId}::uuid, ${customerId}::uuid, true, ${event.sequence})
        ON CONFLICT ("orderId") DO UPDATE SET "deleted" = true, "deletionHoldId" = NULL, "status" = NULL, "currency" = NULL, "totalMinor" = NULL,
          "placedAt" = NULL, "createdAt" = NULL, "sequence" = GREATEST("OrderFact"."sequence", EXCLUDED."sequence")`;
      await recomputeStatistics(tx, customerId);
    },
    // Only the hold this event names: a later deletion's hold stays.
    'order.deletion-cancelled': async (tx, event) => {
      const orderId = aggregateUuid(event);
      const { holdId, customerId } = parseEvent(event, 'order.deletion-cancelled');
      // Remembered (the row created if need be, locked either way), so a hold of that deletion
      // committing after this event, late, is refused.
      await tx.$executeRaw`
        INSERT INTO "OrderFact" ("orderId", "customerId") VALUES (${orderId}::uuid, ${customerId}::uuid)
        ON CONFLICT ("orderId") DO UPDATE SET "deletionHoldId" = NULLIF("OrderFact"."deletionHoldId", ${holdId}::uuid)`;
      await rememberCancelledHold(tx, holdId);
    },
  },
};

// `npm run rebuild:analysis`: empties the read model and replays every order event in the
// stream through the consumer's own handlers. Rows no event has reached (sequence 0: written by
// the demo seed, which writes no events, or read through from sales for an order whose events
// are still on their way) are kept, since the stream cannot give them back; every other row is
// rebuilt from the stream. Events the running consumer applies meanwhile are recorded in the
// same inbox, so each is applied once either way. An event no handler can apply is skipped, as
// the consumer dead-lettered it.
export async function rebuildAnalysis(
  db: PrismaClient,
  transport: EventTransport,
): Promise<{ replayed: number; applied: number; skipped: number; orders: number; statistics: number }> {
  await db.$transaction(
    async (tx) => {
      // Deletion tombstones and held rows stay too: without them a replay gap or a read-through
      // during the rebuild could let an attribution name an order that is being deleted.
      await tx.orderFact.deleteMany({ where: { sequence: { gt: 0 }, deleted: false, deletionHoldId: null } });
      await tx.customerOrderStatistics.deleteMany({});
      await tx.processedEvent.deleteMany({ where: { consumer: marketingOrders.name } });
      await fillStatistics(tx);
    },
    { timeout: 60_000 },
  );
  let applied = 0;
  let skipped = 0;
  const replayed = await transport.replay(ORDER_EVENT_TYPES, async (event) => {
    try {
      if (await applyOnce(db as unknown as EventDatabase, marketingOrders, event)) applied += 1;
    } catch (error) {
      if (!(error instanceof PoisonEventError)) throw error;
      skipped += 1;
    }
  });
  const [orders, statistics] = await Promise.all([db.orderFact.count(), db.customerOrderStatistics.count()]);
  return { replayed, applied, skipped, orders, statistics };
}
