import DataLoader from 'dataloader';
import { countsInKeyOrder, groupedInKeyOrder, inKeyOrder, perArguments, validIds } from '../../../lib/loader-utils';
import { childPagesByParent, sortColumn, type ChildColumn, type ChildList, type ChildPage } from '../../../lib/pagination';
import { Prisma, type Opportunity, type Order, type OrderItem, type PrismaClient, type Product } from './generated/prisma/client';
import { REVENUE_STATUSES } from './rules';

// A nested list's page and the statuses (or stages) it is limited to, none for all of them.
type FilteredPage = ChildPage & { filter: string[] | null };

const ORDERS: ChildList<Order> = { model: Prisma.ModelName.Order, columns: Prisma.OrderScalarFieldEnum, parent: 'customerId', sort: sortColumn('createdAt', 'date') };
const OPPORTUNITIES: ChildList<Opportunity> = {
  model: Prisma.ModelName.Opportunity,
  columns: Prisma.OpportunityScalarFieldEnum,
  parent: 'customerId',
  sort: sortColumn('createdAt', 'date'),
};

const anyOf = <Row>(field: keyof Row & string, values: string[] | null) =>
  values?.length ? (column: ChildColumn<Row>) => Prisma.sql`${column(field)}::text = ANY(${values}::text[])` : undefined;

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
      ({ filter, ...page }: FilteredPage) =>
        new DataLoader(async (customerIds: readonly string[]) => {
          const pages = await childPagesByParent(prisma, ORDERS, validIds(customerIds), page, anyOf<Order>('status', filter));
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
      ({ filter, ...page }: FilteredPage) =>
        new DataLoader(async (customerIds: readonly string[]) => {
          const pages = await childPagesByParent(prisma, OPPORTUNITIES, validIds(customerIds), page, anyOf<Opportunity>('stage', filter));
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
