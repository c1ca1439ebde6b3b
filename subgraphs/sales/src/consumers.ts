import { z } from 'zod';
import { parseEvent, PoisonEventError } from '../../../lib/events/catalog';
import type { ConsumerDefinition } from '../../../lib/events/consumer';
import type { EventEnvelope } from '../../../lib/events/envelope';
import { appendEvent } from '../../../lib/events/outbox';
import { Prisma } from './generated/prisma/client';

type Tx = Prisma.TransactionClient;

const uuid = z.uuid();

// The row's key is a uuid column: an event naming anything else could never be applied.
function customerIdOf(event: EventEnvelope): string {
  if (!uuid.safeParse(event.aggregateId).success) throw new PoisonEventError(`${event.type} names customer ${event.aggregateId}, which is not a uuid`);
  return event.aggregateId;
}

type StateEvent = 'customer.created' | 'customer.updated' | 'customer.archived' | 'customer.restored';

// Event-carried state, applied only when it is newer than what the row holds: events of one
// customer may arrive out of order (a redelivery after a later one). A deleted customer's
// tombstone takes no state, so a late event cannot bring it back.
const applyState = (type: StateEvent) => async (tx: Tx, event: EventEnvelope) => {
  const state = parseEvent(event, type);
  await tx.$executeRaw(Prisma.sql`
    INSERT INTO "KnownCustomer" ("id", "status", "kind", "ownerId", "archived", "sequence")
    VALUES (${customerIdOf(event)}::uuid, ${state.status}, ${state.kind}, ${state.ownerId}, ${state.archived}, ${event.sequence})
    ON CONFLICT ("id") DO UPDATE SET
      "status" = EXCLUDED."status", "kind" = EXCLUDED."kind", "ownerId" = EXCLUDED."ownerId",
      "archived" = EXCLUDED."archived", "sequence" = EXCLUDED."sequence"
    WHERE "KnownCustomer"."sequence" < EXCLUDED."sequence" AND NOT "KnownCustomer"."deleted"`);
};

// The customers orders and deals may name (see KnownCustomer in prisma/sales/schema.prisma).
export const salesCustomerConsumer: ConsumerDefinition<Tx> = {
  name: 'sales-customers',
  handlers: {
    'customer.created': applyState('customer.created'),
    'customer.updated': applyState('customer.updated'),
    'customer.archived': applyState('customer.archived'),
    'customer.restored': applyState('customer.restored'),
    // Not ordered by sequence: it releases exactly the hold it names. It is also remembered (the
    // row is created if need be): a hold of that deletion committing after this event, late, is
    // refused instead of staying for ever.
    'customer.deletion-cancelled': async (tx, event) => {
      const { holdId } = parseEvent(event, 'customer.deletion-cancelled');
      await tx.$executeRaw(Prisma.sql`
        INSERT INTO "KnownCustomer" ("id") VALUES (${customerIdOf(event)}::uuid)
        ON CONFLICT ("id") DO UPDATE SET "deletionHoldId" = NULLIF("KnownCustomer"."deletionHoldId", ${holdId}::uuid)`);
      await tx.cancelledHold.createMany({ data: [{ holdId }], skipDuplicates: true });
    },
    // A deletion that arrives before anything else about the customer leaves a tombstone, so a
    // later read-through (or a late created event) cannot make the customer known again.
    'customer.deleted': async (tx, event) => {
      parseEvent(event, 'customer.deleted');
      await tx.$executeRaw(Prisma.sql`
        INSERT INTO "KnownCustomer" ("id", "deleted", "sequence") VALUES (${customerIdOf(event)}::uuid, true, ${event.sequence})
        ON CONFLICT ("id") DO UPDATE SET "deleted" = true, "deletionHoldId" = NULL, "sequence" = GREATEST("KnownCustomer"."sequence", EXCLUDED."sequence")`);
    },
    // Orders and deals keep their money and dates; the customer can take no new ones. The
    // projection's tags go as the customer's own do, and sales reports its part done.
    'customer.erased': async (tx, event) => {
      parseEvent(event, 'customer.erased');
      const customerId = customerIdOf(event);
      await tx.$executeRaw(Prisma.sql`
        INSERT INTO "KnownCustomer" ("id", "erased", "sequence") VALUES (${customerId}::uuid, true, ${event.sequence})
        ON CONFLICT ("id") DO UPDATE SET "erased" = true, "sequence" = GREATEST("KnownCustomer"."sequence", EXCLUDED."sequence")`);
      await appendEvent(tx, 'sales', 'customer-erasure.completed', customerId, { customerId, service: 'sales' });
    },
  },
};
