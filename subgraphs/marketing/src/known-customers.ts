import { parseEvent } from '../../../lib/events/catalog';
import type { ConsumerDefinition } from '../../../lib/events/consumer';
import { aggregateUuid, knownCustomerHandlers } from '../../../lib/events/known-customers';
import { appendEvent, appendEvents } from '../../../lib/events/outbox';
import type { MemberStatus, Prisma } from './generated/prisma/client';
import { lockCustomerAnalysis } from './analysis';

// KnownCustomer from the customer service's events: the customers marketing's writes may
// reference (service.ts checks them, locked, in the transaction of each write).

type Tx = Prisma.TransactionClient;

export const SOURCE = 'marketing';

export const marketingCustomers: ConsumerDefinition<Tx> = {
  name: 'marketing-customers',
  handlers: {
    ...knownCustomerHandlers,
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
