import { parseEvent } from '../../../lib/events/catalog';
import type { ConsumerDefinition, EventHandler } from '../../../lib/events/consumer';
import { appendEvent, appendEvents } from '../../../lib/events/outbox';
import type { MemberStatus, Prisma } from './generated/prisma/client';
import { aggregateUuid, lockCustomerAnalysis } from './analysis';

// KnownCustomer from the customer service's events: the customers marketing's writes may
// reference (service.ts checks them, locked, in the transaction of each write).

type Tx = Prisma.TransactionClient;

export const SOURCE = 'marketing';

// Newer state wins, over a row read through (sequence 0) too; nothing changes a tombstone.
const applyCustomerState =
  (type: 'customer.created' | 'customer.updated' | 'customer.archived' | 'customer.restored'): EventHandler<Tx> =>
  async (tx, event) => {
    const id = aggregateUuid(event);
    const state = parseEvent(event, type);
    await tx.$executeRaw`
      INSERT INTO "KnownCustomer" ("id", "status", "kind", "ownerId", "archived", "sequence")
      VALUES (${id}::uuid, ${state.status}, ${state.kind}, ${state.ownerId}, ${state.archived}, ${event.sequence})
      ON CONFLICT ("id") DO UPDATE SET
        "status" = EXCLUDED."status", "kind" = EXCLUDED."kind", "ownerId" = EXCLUDED."ownerId",
        "archived" = EXCLUDED."archived", "sequence" = EXCLUDED."sequence"
      WHERE "KnownCustomer"."sequence" < EXCLUDED."sequence" AND NOT "KnownCustomer"."deleted" AND NOT "KnownCustomer"."erased"`;
  };

export const marketingCustomers: ConsumerDefinition<Tx> = {
  name: 'marketing-customers',
  handlers: {
    'customer.created': applyCustomerState('customer.created'),
    'customer.updated': applyCustomerState('customer.updated'),
    'customer.archived': applyCustomerState('customer.archived'),
    'customer.restored': applyCustomerState('customer.restored'),
    // Only the hold this event names: a later deletion's hold stays.
    'customer.deletion-cancelled': async (tx, event) => {
      const id = aggregateUuid(event);
      const { holdId } = parseEvent(event, 'customer.deletion-cancelled');
      // Also remembered (the row is created if need be): a hold of that deletion committing after
      // this event, late, is refused instead of staying for ever.
      await tx.$executeRaw`
        INSERT INTO "KnownCustomer" ("id") VALUES (${id}::uuid)
        ON CONFLICT ("id") DO UPDATE SET "deletionHoldId" = NULLIF("KnownCustomer"."deletionHoldId", ${holdId}::uuid)`;
      await tx.cancelledHold.createMany({ data: [{ holdId }], skipDuplicates: true });
    },
    // A tombstone, inserted if the customer was never seen here, so neither a late state event
    // nor a read-through can bring the customer back.
    'customer.deleted': async (tx, event) => {
      const id = aggregateUuid(event);
      parseEvent(event, 'customer.deleted');
      await tx.$executeRaw`
        INSERT INTO "KnownCustomer" ("id", "deleted", "sequence") VALUES (${id}::uuid, true, ${event.sequence})
        ON CONFLICT ("id") DO UPDATE SET "deleted" = true, "deletionHoldId" = NULL, "sequence" = GREATEST("KnownCustomer"."sequence", EXCLUDED."sequence")`;
    },
    // Right to be forgotten: the customer's memberships, responses and analysis go; attributions
    // and order facts stay (they are the campaigns' revenue, not the person). The row stays as
    // a tombstone without attributes, which refuses new references.
    'customer.erased': async (tx, event) => {
      const customerId = aggregateUuid(event);
      parseEvent(event, 'customer.erased');
      // Before the row changes, so an order event recomputing this customer's statistics either
      // ran before (and its rows are deleted here) or sees the customer erased.
      await lockCustomerAnalysis(tx, customerId);
      await tx.$executeRaw`
        INSERT INTO "KnownCustomer" ("id", "erased", "sequence") VALUES (${customerId}::uuid, true, ${event.sequence})
        ON CONFLICT ("id") DO UPDATE SET "erased" = true, "status" = NULL, "kind" = NULL, "ownerId" = NULL,
          "sequence" = GREATEST("KnownCustomer"."sequence", EXCLUDED."sequence")`;
      const members = await tx.$queryRaw<{ id: string; campaignId: string; status: MemberStatus }[]>`
        DELETE FROM "CampaignMember" WHERE "customerId" = ${customerId}::uuid RETURNING "id"::text, "campaignId"::text, "status"::text`;
      await tx.campaignResponse.deleteMany({ where: { customerId } });
      await tx.customerOrderStatistics.deleteMany({ where: { customerId } });
      await appendEvents(tx, SOURCE, 'campaign-member.removed', members.map((member) => ({ aggregateId: member.id, data: { campaignId: member.campaignId, customerId, status: member.status } })));
      await appendEvent(tx, SOURCE, 'customer-erasure.completed', customerId, { customerId, service: SOURCE });
    },
  },
};
