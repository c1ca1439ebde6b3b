import { parseEvent } from '../../../lib/events/catalog';
import type { ConsumerDefinition } from '../../../lib/events/consumer';
import type { Prisma } from './generated/prisma/client';

// Each service answers customer.erased with customer-erasure.completed once it holds nothing
// personal of the customer; Customer.erasure reads the answers from here. The first answer of
// a service is the one kept.
export const customerErasures: ConsumerDefinition<Prisma.TransactionClient> = {
  name: 'customer-erasures',
  handlers: {
    'customer-erasure.completed': async (tx, event) => {
      const { customerId, service } = parseEvent(event, 'customer-erasure.completed');
      await tx.customerErasure.createMany({ data: [{ customerId, service, erasedAt: new Date(event.occurredAt) }], skipDuplicates: true });
    },
  },
};
