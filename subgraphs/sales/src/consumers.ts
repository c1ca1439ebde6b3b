import { parseEvent } from '../../../lib/events/catalog';
import type { ConsumerDefinition } from '../../../lib/events/consumer';
import { aggregateUuid, knownCustomerHandlers } from '../../../lib/events/known-customers';
import { appendEvent } from '../../../lib/events/outbox';
import { Prisma } from './generated/prisma/client';

type Tx = Prisma.TransactionClient;

// The customers orders and deals may name (see KnownCustomer in prisma/sales/schema.prisma).
export const salesCustomerConsumer: ConsumerDefinition<Tx> = {
  name: 'sales-customers',
  handlers: {
    ...knownCustomerHandlers,
    // Orders and deals keep their money and dates; the customer can take no new ones, and sales
    // reports its part done.
    'customer.erased': async (tx, event) => {
      parseEvent(event, 'customer.erased');
      const customerId = aggregateUuid(event);
      await tx.$executeRaw(Prisma.sql`
        INSERT INTO "KnownCustomer" ("id", "erased", "sequence") VALUES (${customerId}::uuid, true, ${event.sequence})
        ON CONFLICT ("id") DO UPDATE SET "erased" = true, "sequence" = GREATEST("KnownCustomer"."sequence", EXCLUDED."sequence")`);
      await appendEvent(tx, 'sales', 'customer-erasure.completed', customerId, { customerId, service: 'sales' });
    },
  },
};
