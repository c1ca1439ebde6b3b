import { sqltag as sql } from '@prisma/client/runtime/client';
import { isId } from '../inputs';
import { parseEvent, PoisonEventError, type EventType } from './catalog';
import type { EventHandler } from './consumer';
import type { EventEnvelope } from './envelope';
import type { SqlRunner } from './outbox';

// The customer events every service that references customers applies the same way, to its
// KnownCustomer projection and its CancelledHold table (the same shape in each such subgraph,
// as the outbox tables are). Each service adds its own customer.erased handler.

// An event for an aggregate whose id is not a UUID can never be applied: dead-letter it at once.
export function aggregateUuid(event: EventEnvelope): string {
  if (!isId(event.aggregateId)) throw new PoisonEventError(`${event.type} ${event.id}: aggregate id ${JSON.stringify(event.aggregateId)} is not a UUID`);
  return event.aggregateId;
}

type StateEvent = 'customer.created' | 'customer.updated' | 'customer.archived' | 'customer.restored';

// Event-carried state, applied only when it is newer than what the row holds (events of one
// customer may arrive out of order, over a row read through with sequence 0 too). A deleted or
// erased customer's tombstone takes no state, so a late event cannot bring it back.
const applyState =
  (type: StateEvent): EventHandler<SqlRunner> =>
  async (tx, event) => {
    const state = parseEvent(event, type);
    await tx.$executeRaw(sql`
      INSERT INTO "KnownCustomer" ("id", "status", "kind", "ownerId", "archived", "sequence")
      VALUES (${aggregateUuid(event)}::uuid, ${state.status}, ${state.kind}, ${state.ownerId}, ${state.archived}, ${event.sequence})
      ON CONFLICT ("id") DO UPDATE SET
        "status" = EXCLUDED."status", "kind" = EXCLUDED."kind", "ownerId" = EXCLUDED."ownerId",
        "archived" = EXCLUDED."archived", "sequence" = EXCLUDED."sequence"
      WHERE "KnownCustomer"."sequence" < EXCLUDED."sequence" AND NOT "KnownCustomer"."deleted" AND NOT "KnownCustomer"."erased"`);
  };

export const knownCustomerHandlers: Partial<Record<EventType, EventHandler<SqlRunner>>> = {
  'customer.created': applyState('customer.created'),
  'customer.updated': applyState('customer.updated'),
  'customer.archived': applyState('customer.archived'),
  'customer.restored': applyState('customer.restored'),
  // Not ordered by sequence: it releases exactly the hold it names. It is also remembered (the
  // row created if need be, locked either way): a hold of that deletion committing after this
  // event, late, is refused instead of staying for ever.
  'customer.deletion-cancelled': async (tx, event) => {
    const { holdId } = parseEvent(event, 'customer.deletion-cancelled');
    await tx.$executeRaw(sql`
      INSERT INTO "KnownCustomer" ("id") VALUES (${aggregateUuid(event)}::uuid)
      ON CONFLICT ("id") DO UPDATE SET "deletionHoldId" = NULLIF("KnownCustomer"."deletionHoldId", ${holdId}::uuid)`);
    await rememberCancelledHold(tx, holdId);
  },
  // A deletion that arrives before anything else about the customer leaves a tombstone, so a
  // later read-through (or a late created event) cannot make the customer known again.
  'customer.deleted': async (tx, event) => {
    parseEvent(event, 'customer.deleted');
    await tx.$executeRaw(sql`
      INSERT INTO "KnownCustomer" ("id", "deleted", "sequence") VALUES (${aggregateUuid(event)}::uuid, true, ${event.sequence})
      ON CONFLICT ("id") DO UPDATE SET "deleted" = true, "deletionHoldId" = NULL, "sequence" = GREATEST("KnownCustomer"."sequence", EXCLUDED."sequence")`);
  },
};

export async function rememberCancelledHold(tx: SqlRunner, holdId: string): Promise<void> {
  await tx.$executeRaw(sql`INSERT INTO "CancelledHold" ("holdId") VALUES (${holdId}::uuid) ON CONFLICT DO NOTHING`);
}
