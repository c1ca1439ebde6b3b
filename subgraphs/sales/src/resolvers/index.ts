import { allLoaded } from '../../../../lib/loader-utils';
import { toMoney, type Money } from '../../../../lib/money';
import { pageSize, toChildConnection } from '../../../../lib/pagination';
import { scalarResolvers } from '../../../../lib/scalars';
import { parseId, parseInput } from '../../../../lib/inputs';
import { conversions, returnOnInvestment, revenueByCurrency, weightedAmount } from '../rules';
import type { Opportunity, Order, OrderItem, Product } from '../generated/prisma/client';
import type { SalesContext } from '../server';
import * as service from '../service';
import { childOpportunityStages, childOrderStatuses } from '../inputs';

type Ref = { id: string };
type ChildArgs = { first?: number | null; after?: string | null };
type CampaignRef = { id: string; attributedOrderIds: string[]; budget: Money };

async function attributedOrders(campaign: CampaignRef, { loaders }: SalesContext): Promise<Order[]> {
  const orders = allLoaded(await loaders.order.loadMany(campaign.attributedOrderIds));
  // Marketing may still credit an order sales has since deleted (a draft or a cancelled one).
  return orders.filter((order): order is Order => order !== null);
}

export const resolvers = {
  ...scalarResolvers,
  Query: {
    product: (_: unknown, args: Ref, { loaders }: SalesContext) => loaders.product.load(parseId(args.id)),
    products: (_: unknown, args: Parameters<typeof service.listProducts>[1], { prisma }: SalesContext) => service.listProducts(prisma, args),
    order: (_: unknown, args: Ref, { loaders }: SalesContext) => loaders.order.load(parseId(args.id)),
    orders: (_: unknown, args: Parameters<typeof service.listOrders>[1], { prisma }: SalesContext) => service.listOrders(prisma, args),
    opportunity: (_: unknown, args: Ref, { loaders }: SalesContext) => loaders.opportunity.load(parseId(args.id)),
    opportunities: (_: unknown, args: Parameters<typeof service.listOpportunities>[1], { prisma }: SalesContext) =>
      service.listOpportunities(prisma, args),
  },
  Mutation: {
    createProduct: (_: unknown, args: { input: unknown }, { prisma }: SalesContext) => service.createProduct(prisma, args.input),
    updateProduct: (_: unknown, args: { id: unknown; input: unknown }, { prisma }: SalesContext) => service.updateProduct(prisma, args.id, args.input),
    deleteProduct: (_: unknown, args: Ref, { prisma }: SalesContext) => service.deleteProduct(prisma, args.id),
    createOrder: (_: unknown, args: { input: unknown }, { prisma, peers }: SalesContext) => service.createOrder(prisma, peers, args.input),
    updateOrderStatus: (_: unknown, args: { id: unknown; status: unknown }, { prisma }: SalesContext) =>
      service.updateOrderStatus(prisma, args.id, args.status),
    deleteOrder: (_: unknown, args: Ref, { prisma }: SalesContext) => service.deleteOrder(prisma, args.id),
    createOpportunity: (_: unknown, args: { input: unknown }, { prisma, peers }: SalesContext) => service.createOpportunity(prisma, peers, args.input),
    updateOpportunity: (_: unknown, args: { id: unknown; input: unknown }, { prisma }: SalesContext) =>
      service.updateOpportunity(prisma, args.id, args.input),
    deleteOpportunity: (_: unknown, args: Ref, { prisma }: SalesContext) => service.deleteOpportunity(prisma, args.id),
  },
  Customer: {
    orders: async (customer: Ref, args: ChildArgs & { status?: unknown }, { loaders }: SalesContext) => {
      const first = pageSize(args.first);
      const filter = parseInput(childOrderStatuses, args.status, 'status') ?? null;
      const page = await loaders.ordersByCustomer({ first, after: args.after, filter }).load(customer.id);
      return toChildConnection('Order', page, 'createdAt', () => loaders.orderCountByCustomer(filter).load(customer.id));
    },
    opportunities: async (customer: Ref, args: ChildArgs & { stage?: unknown }, { loaders }: SalesContext) => {
      const first = pageSize(args.first);
      const filter = parseInput(childOpportunityStages, args.stage, 'stage') ?? null;
      const page = await loaders.opportunitiesByCustomer({ first, after: args.after, filter }).load(customer.id);
      return toChildConnection('Opportunity', page, 'createdAt', () => loaders.opportunityCountByCustomer(filter).load(customer.id));
    },
    lifetimeValue: async (customer: Ref, _: unknown, { loaders }: SalesContext) =>
      (await loaders.lifetimeValueByCustomer.load(customer.id)).map((sum) => toMoney(sum.minor, sum.currency)),
  },
  Campaign: {
    attributedRevenue: async (campaign: CampaignRef, _: unknown, context: SalesContext) => revenueByCurrency(await attributedOrders(campaign, context)),
    conversions: async (campaign: CampaignRef, _: unknown, context: SalesContext) => conversions(await attributedOrders(campaign, context)),
    roi: async (campaign: CampaignRef, _: unknown, context: SalesContext) =>
      returnOnInvestment(revenueByCurrency(await attributedOrders(campaign, context)), campaign.budget),
  },
  Product: {
    __resolveReference: (ref: Ref, { loaders }: SalesContext) => loaders.product.load(ref.id),
    price: (product: Product) => toMoney(product.priceMinor, product.currency),
  },
  Order: {
    __resolveReference: (ref: Ref, { loaders }: SalesContext) => loaders.order.load(ref.id),
    customer: (order: Order) => ({ id: order.customerId }),
    total: (order: Order) => toMoney(order.totalMinor, order.currency),
    items: (order: Order, _: unknown, { loaders }: SalesContext) => loaders.itemsByOrder.load(order.id),
  },
  OrderItem: {
    product: (item: OrderItem, _: unknown, { loaders }: SalesContext) => loaders.product.load(item.productId),
    unitPrice: async (item: OrderItem, _: unknown, { loaders }: SalesContext) => toMoney(item.unitPriceMinor, (await loaders.order.load(item.orderId))!.currency),
    lineTotal: async (item: OrderItem, _: unknown, { loaders }: SalesContext) =>
      toMoney(item.unitPriceMinor * BigInt(item.quantity), (await loaders.order.load(item.orderId))!.currency),
  },
  Opportunity: {
    __resolveReference: (ref: Ref, { loaders }: SalesContext) => loaders.opportunity.load(ref.id),
    customer: (opportunity: Opportunity) => ({ id: opportunity.customerId }),
    amount: (opportunity: Opportunity) => toMoney(opportunity.amountMinor, opportunity.currency),
    weightedAmount: (opportunity: Opportunity) => weightedAmount(opportunity.amountMinor, opportunity.probability, opportunity.currency),
    expectedCloseDate: (opportunity: Opportunity) => opportunity.expectedCloseDate.toISOString().slice(0, 10),
  },
};
