import DataLoader from 'dataloader';
import { childPagesByParent, sortColumn, type ChildColumn, type ChildList, type ChildPage } from '../../../lib/pagination';
import { countsInKeyOrder, groupedInKeyOrder, inKeyOrder, perArguments, validIds } from '../../../lib/loader-utils';
import { Prisma, type Contact, type Customer, type Interaction, type PrismaClient } from './generated/prisma/client';

const CONTACTS: ChildList<Contact> = {
  model: Prisma.ModelName.Contact,
  columns: Prisma.ContactScalarFieldEnum,
  parent: 'customerId',
  sort: sortColumn('createdAt', 'date'),
};
const INTERACTIONS: ChildList<Interaction> = {
  model: Prisma.ModelName.Interaction,
  columns: Prisma.InteractionScalarFieldEnum,
  parent: 'customerId',
  sort: sortColumn('occurredAt', 'date'),
};

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
    // The other services' reports of an erasure, asked only for erased customers.
    erasureReportsByCustomer: new DataLoader(async (customerIds: readonly string[]) =>
      groupedInKeyOrder(
        await prisma.customerErasure.findMany({ where: { customerId: { in: [...customerIds] } }, select: { customerId: true, service: true, erasedAt: true } }),
        customerIds,
        (row) => row.customerId,
      ),
    ),
    contactsByCustomer: perArguments(
      (page: ChildPage) =>
        new DataLoader(async (customerIds: readonly string[]) => {
          const pages = await childPagesByParent(prisma, CONTACTS, customerIds, page);
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
      ({ type, ...page }: ChildPage & { type?: string | null }) =>
        new DataLoader(async (customerIds: readonly string[]) => {
          const ofType = type ? (column: ChildColumn<Interaction>) => Prisma.sql`${column('type')}::text = ${type}` : undefined;
          const pages = await childPagesByParent(prisma, INTERACTIONS, customerIds, page, ofType);
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
