import DataLoader from 'dataloader';
import { countsInKeyOrder, groupedInKeyOrder, inKeyOrder, perArguments, validIds } from '../../../lib/loader-utils';
import { childPagesByParent } from '../../../lib/pagination';
import type { Opportunity, Order, OrderItem, PrismaClient, Product } from './generated/prisma/client';
import { REVENUE_STATUSES } from './validation';

export type ChildListArgs = { first: number; after?: string | null; filter: string[] | null };

const anyOf = (column: string, values: string[] | null) =>
  values?.length ? { sql: (n: number) => `"${column}"::text = ANY($${n}::text[])`, values: [values] } : undefined;

// Created once per request in the context function, so no cached row crosses requests.
export function createLoaders(prisma: PrismaClient) {
  return {
    product: new DataLoader<string, Product | null>(async (ids) =>
      inKeyOrder(await prisma.product.findMany({ where: { id: { in: validIds(ids) } } }), ids),
    ),
    order: new DataLoader<string, Order | null>(async (ids) =>
      inKeyOrder(await prisma.order.findMany({ where: { id: { in: validIds(ids) } } }), ids),
    ),
    opportunity: new DataLoader<string, Opportunity | null>(async (ids) =>
      inKeyOrder(await prisma.opportunity.findMany({ where: { id: { in: validIds(ids) } } }), ids),
    ),
    itemsByOrder: new DataLoader<string, OrderItem[]>(async (orderIds) =>
      groupedInKeyOrder(
        await prisma.orderItem.findMany({ where: { orderId: { in: [...orderIds] } }, orderBy: [{ orderId: 'asc' }, { line: 'asc' }] }),
        orderIds,
        (item) => item.orderId,
      ),
    ),
    ordersByCustomer: perArguments(
      (args: ChildListArgs) =>
        new DataLoader(async (customerIds: readonly string[]) => {
          const spec = { table: 'Order', parentColumn: 'customerId', sortColumn: 'createdAt', sortType: 'date' as const, condition: anyOf('status', args.filter) };
          const pages = await childPagesByParent<Order>(prisma, spec, validIds(customerIds), args.first, args.after);
          return customerIds.map((customerId) => pages.get(customerId) ?? { rows: [], hasNextPage: false });
        }),
    ),
    orderCountByCustomer: perArguments(
      (statuses: string[] | null) =>
        new DataLoader(async (customerIds: readonly string[]) =>
          countsInKeyOrder(
            await prisma.order.groupBy({
              by: ['customerId'],
              where: { customerId: { in: validIds(customerIds) }, ...(statuses?.length ? { status: { in: statuses as Order['status'][] } } : {}) },
              _count: { _all: true },
            }),
            customerIds,
            (row) => row.customerId,
          ),
        ),
    ),
    opportunitiesByCustomer: perArguments(
      (args: ChildListArgs) =>
        new DataLoader(async (customerIds: readonly string[]) => {
          const spec = { table: 'Opportunity', parentColumn: 'customerId', sortColumn: 'createdAt', sortType: 'date' as const, condition: anyOf('stage', args.filter) };
          const pages = await childPagesByParent<Opportunity>(prisma, spec, validIds(customerIds), args.first, args.after);
          return customerIds.map((customerId) => pages.get(customerId) ?? { rows: [], hasNextPage: false });
        }),
    ),
    opportunityCountByCustomer: perArguments(
      (stages: string[] | null) =>
        new DataLoader(async (customerIds: readonly string[]) =>
          countsInKeyOrder(
            await prisma.opportunity.groupBy({
              by: ['customerId'],
              where: { customerId: { in: validIds(customerIds) }, ...(stages?.length ? { stage: { in: stages as Opportunity['stage'][] } } : {}) },
              _count: { _all: true },
            }),
            customerIds,
            (row) => row.customerId,
          ),
        ),
    ),
    lifetimeValueByCustomer: new DataLoader(async (customerIds: readonly string[]) => {
      const sums = await prisma.order.groupBy({
        by: ['customerId', 'currency'],
        where: { customerId: { in: validIds(customerIds) }, status: { in: REVENUE_STATUSES } },
        _sum: { totalMinor: true },
        orderBy: [{ customerId: 'asc' }, { currency: 'asc' }],
      });
      return groupedInKeyOrder(sums, customerIds, (row) => row.customerId).map((rows) =>
        rows.map((row) => ({ currency: row.currency, minor: row._sum.totalMinor ?? 0n })),
      );
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
