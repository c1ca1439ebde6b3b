import DataLoader from 'dataloader';
import { childPagesByParent } from '../../../lib/pagination';
import { countsInKeyOrder, inKeyOrder, perArguments, validIds } from '../../../lib/loader-utils';
import type { Contact, Customer, Interaction, PrismaClient } from './generated/prisma/client';

export type ChildListArgs = { first: number; after?: string | null };

// Created once per request in the context function, so no cached row crosses requests.
export function createLoaders(prisma: PrismaClient) {
  return {
    customer: new DataLoader<string, Customer | null>(async (ids) =>
      inKeyOrder(await prisma.customer.findMany({ where: { id: { in: validIds(ids) } } }), ids),
    ),
    contact: new DataLoader<string, Contact | null>(async (ids) =>
      inKeyOrder(await prisma.contact.findMany({ where: { id: { in: validIds(ids) } } }), ids),
    ),
    interaction: new DataLoader<string, Interaction | null>(async (ids) =>
      inKeyOrder(await prisma.interaction.findMany({ where: { id: { in: validIds(ids) } } }), ids),
    ),
    contactsByCustomer: perArguments(
      (args: ChildListArgs) =>
        new DataLoader(async (customerIds: readonly string[]) => {
          const pages = await childPagesByParent<Contact>(
            prisma,
            { table: 'Contact', parentColumn: 'customerId', sortColumn: 'createdAt', sortType: 'date' },
            customerIds,
            args.first,
            args.after,
          );
          return customerIds.map((customerId) => pages.get(customerId)!);
        }),
    ),
    contactCountByCustomer: new DataLoader(async (customerIds: readonly string[]) =>
      countsInKeyOrder(
        await prisma.contact.groupBy({ by: ['customerId'], where: { customerId: { in: [...customerIds] } }, _count: { _all: true } }),
        customerIds,
        (row) => row.customerId,
      ),
    ),
    interactionsByCustomer: perArguments(
      (args: ChildListArgs & { type?: string | null }) =>
        new DataLoader(async (customerIds: readonly string[]) => {
          const pages = await childPagesByParent<Interaction>(
            prisma,
            {
              table: 'Interaction',
              parentColumn: 'customerId',
              sortColumn: 'occurredAt',
              sortType: 'date',
              condition: args.type ? { sql: (n) => `"type"::text = $${n}`, values: [args.type] } : undefined,
            },
            customerIds,
            args.first,
            args.after,
          );
          return customerIds.map((customerId) => pages.get(customerId)!);
        }),
    ),
    interactionCountByCustomer: perArguments(
      (type: string | null) =>
        new DataLoader(async (customerIds: readonly string[]) =>
          countsInKeyOrder(
            await prisma.interaction.groupBy({
              by: ['customerId'],
              where: { customerId: { in: [...customerIds] }, ...(type ? { type: type as Interaction['type'] } : {}) },
              _count: { _all: true },
            }),
            customerIds,
            (row) => row.customerId,
          ),
        ),
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
