import { allLoaded } from '../../../../lib/loader-utils';
import { toMoney } from '../../../../lib/money';
import { pageSize, toChildConnection } from '../../../../lib/pagination';
import { scalarResolvers } from '../../../../lib/scalars';
import { parseId, parseInput } from '../../../../lib/inputs';
import { conversions, returnOnInvestment, revenueByCurrency, weightedAmount } from '../rules';
import type { Resolvers } from '../generated/graphql';
import type { Order } from '../generated/prisma/client';
import type { Loaders } from '../loaders';
import * as service from '../service';
import { childOpportunityStages, childOrderStatuses } from '../inputs';
import type { CampaignModel } from './models';

async function attributedOrders(campaign: CampaignModel, loaders: Loaders): Promise<Order[]> {
  const orders = allLoaded(await loaders.order.loadMany(campaign.attributedOrderIds));
  // Marketing may still credit an order sales has since deleted (a draft or a cancelled one).
  return orders.filter((order): order is Order => order !== null);
}

export const resolvers = {
  ...scalarResolvers,
  Query: {
    product: (_, args, { loaders }) => loaders.product.load(parseId(args.id)),
    products: (_, args, { prisma }) => service.listProducts(prisma, args),
    order: (_, args, { loaders }) => loaders.order.load(parseId(args.id)),
    orders: (_, args, { prisma }) => service.listOrders(prisma, args),
    opportunity: (_, args, { loaders }) => loaders.opportunity.load(parseId(args.id)),
    opportunities: (_, args, { prisma }) => service.listOpportunities(prisma, args),
  },
  Mutation: {
    createProduct: (_, args, { prisma }) => service.createProduct(prisma, args.input),
    updateProduct: (_, args, { prisma }) => service.updateProduct(prisma, args.id, args.input),
    deleteProduct: (_, args, { prisma }) => service.deleteProduct(prisma, args.id),
    createOrder: (_, args, { prisma, peers }) => service.createOrder(prisma, peers, args.input),
    updateOrderStatus: (_, args, { prisma }) => service.updateOrderStatus(prisma, args.id, args.status),
    deleteOrder: (_, args, { prisma, peers }) => service.deleteOrder(prisma, peers, args.id),
    createOpportunity: (_, args, { prisma, peers }) => service.createOpportunity(prisma, peers, args.input),
    updateOpportunity: (_, args, { prisma }) => service.updateOpportunity(prisma, args.id, args.input),
    deleteOpportunity: (_, args, { prisma }) => service.deleteOpportunity(prisma, args.id),
    _holdCustomerInSales: (_, args, { prisma }) => service.holdCustomer(prisma, args.customerId, args.holdId),
    _releaseCustomerInSales: (_, args, { prisma }) => service.releaseCustomer(prisma, args.customerId, args.holdId),
  },
  Customer: {
    orders: async (customer, args, { loaders }) => {
      const first = pageSize(args.first);
      const filter = parseInput(childOrderStatuses, args.status, 'status') ?? null;
      const page = await loaders.ordersByCustomer({ first, after: args.after, filter }).load(customer.id);
      return toChildConnection('Order', page, 'createdAt', () => loaders.orderCountByCustomer(filter).load(customer.id));
    },
    opportunities: async (customer, args, { loaders }) => {
      const first = pageSize(args.first);
      const filter = parseInput(childOpportunityStages, args.stage, 'stage') ?? null;
      const page = await loaders.opportunitiesByCustomer({ first, after: args.after, filter }).load(customer.id);
      return toChildConnection('Opportunity', page, 'createdAt', () => loaders.opportunityCountByCustomer(filter).load(customer.id));
    },
    lifetimeValue: async (customer, _, { loaders }) =>
      (await loaders.lifetimeValueByCustomer.load(customer.id)).map((sum) => toMoney(sum.minor, sum.currency)),
  },
  Campaign: {
    attributedRevenue: async (campaign, _, { loaders }) => revenueByCurrency(await attributedOrders(campaign, loaders)),
    conversions: async (campaign, _, { loaders }) => conversions(await attributedOrders(campaign, loaders)),
    roi: async (campaign, _, { loaders }) => returnOnInvestment(revenueByCurrency(await attributedOrders(campaign, loaders)), campaign.budget),
  },
  Product: {
    __resolveReference: (ref, { loaders }) => loaders.product.load(ref.id),
    price: (product) => toMoney(product.priceMinor, product.currency),
  },
  Order: {
    __resolveReference: (ref, { loaders }) => loaders.order.load(ref.id),
    customer: (order) => ({ id: order.customerId }),
    total: (order) => toMoney(order.totalMinor, order.currency),
    items: (order, _, { loaders }) => loaders.itemsByOrder.load(order.id),
  },
  OrderItem: {
    // A product cannot be deleted while an order holds it (ON DELETE RESTRICT).
    product: async (item, _, { loaders }) => (await loaders.product.load(item.productId))!,
    unitPrice: async (item, _, { loaders }) => toMoney(item.unitPriceMinor, (await loaders.order.load(item.orderId))!.currency),
    lineTotal: async (item, _, { loaders }) => toMoney(item.unitPriceMinor * BigInt(item.quantity), (await loaders.order.load(item.orderId))!.currency),
  },
  Opportunity: {
    __resolveReference: (ref, { loaders }) => loaders.opportunity.load(ref.id),
    customer: (opportunity) => ({ id: opportunity.customerId }),
    amount: (opportunity) => toMoney(opportunity.amountMinor, opportunity.currency),
    weightedAmount: (opportunity) => weightedAmount(opportunity.amountMinor, opportunity.probability, opportunity.currency),
    expectedCloseDate: (opportunity) => opportunity.expectedCloseDate.toISOString().slice(0, 10),
  },
} satisfies Resolvers;
