import { badUserInput, conflict, notFound } from '../../../lib/errors';
import { fetchEntities, type PeerService } from '../../../lib/entity-client';
import { toMinorUnits } from '../../../lib/money';
import { keyset, pageSize, sortColumn, toConnection, type RootListArgs } from '../../../lib/pagination';
import { writeOrFail } from '../../../lib/prisma-errors';
import { MAX_MINOR_UNITS, parseId, parseInput } from '../../../lib/inputs';
import type { Prisma, PrismaClient } from './generated/prisma/client';
import {
  createOpportunityInput,
  createOrderInput,
  createProductInput,
  opportunityFilter,
  orderFilter,
  orderStatus,
  productFilter,
  updateOpportunityInput,
  updateProductInput,
} from './inputs';
import { canMoveOrder } from './rules';

export type Peers = { customer: PeerService };

// An order or deal may only name a customer the customer service knows and has not archived.
async function requireActiveCustomer(peers: Peers, customerId: string) {
  const [customer] = await fetchEntities<{ id: string; archived: boolean }>(peers.customer, 'Customer', [customerId], 'id archived');
  if (!customer) throw badUserInput(`input.customerId: customer ${customerId} does not exist`, 'input.customerId');
  if (customer.archived) throw badUserInput(`input.customerId: customer ${customerId} is archived`, 'input.customerId');
}

const PRODUCT_SORT = { NAME: sortColumn('name', 'string'), CREATED_AT: sortColumn('createdAt', 'date') };

export async function listProducts(prisma: PrismaClient, args: RootListArgs<keyof typeof PRODUCT_SORT>) {
  const first = pageSize(args.first);
  const filter = parseInput(productFilter, args.filter, 'filter') ?? {};
  const sort = PRODUCT_SORT[args.orderBy?.field ?? 'NAME'];
  const direction = args.orderBy?.direction ?? 'ASC';
  const where: Prisma.ProductWhereInput = {
    ...(filter.active == null ? {} : { active: filter.active }),
    ...(filter.search
      ? { OR: [{ name: { contains: filter.search, mode: 'insensitive' } }, { sku: { contains: filter.search, mode: 'insensitive' } }] }
      : {}),
  };
  const page = keyset<Prisma.ProductWhereInput, Prisma.ProductOrderByWithRelationInput>('Product', sort, direction, args.after);
  const rows = await prisma.product.findMany({ where: { AND: [where, page.where] }, orderBy: page.orderBy, take: first + 1 });
  return toConnection('Product', rows, first, sort.field, direction, () => prisma.product.count({ where }));
}

export async function createProduct(prisma: PrismaClient, rawInput: unknown) {
  const { price, ...input } = parseInput(createProductInput, rawInput, 'input');
  const priceMinor = toMinorUnits(price.amount, price.currency, 'input.price.amount');
  return writeOrFail(() => prisma.product.create({ data: { ...input, currency: price.currency, priceMinor } }), {
    duplicate: { message: `a product with SKU ${input.sku} already exists`, field: 'input.sku' },
  });
}

export async function updateProduct(prisma: PrismaClient, rawId: unknown, rawInput: unknown) {
  const id = parseId(rawId);
  const { price, ...input } = parseInput(updateProductInput, rawInput, 'input');
  const priceData = price ? { currency: price.currency, priceMinor: toMinorUnits(price.amount, price.currency, 'input.price.amount') } : {};
  return writeOrFail(() => prisma.product.update({ where: { id }, data: { ...input, ...priceData } }), { target: { typeName: 'Product', id } });
}

export async function deleteProduct(prisma: PrismaClient, rawId: unknown) {
  const id = parseId(rawId);
  const used = await prisma.orderItem.count({ where: { productId: id } });
  if (used > 0) throw conflict(`Product ${id} is on ${used} order lines; deactivate it instead`, 'id');
  await writeOrFail(() => prisma.product.delete({ where: { id } }), { target: { typeName: 'Product', id } });
  return id;
}

const ORDER_SORT = { CREATED_AT: sortColumn('createdAt', 'date'), TOTAL: sortColumn('totalMinor', 'bigint') };

export async function listOrders(prisma: PrismaClient, args: RootListArgs<keyof typeof ORDER_SORT>) {
  const first = pageSize(args.first);
  const filter = parseInput(orderFilter, args.filter, 'filter') ?? {};
  const sort = ORDER_SORT[args.orderBy?.field ?? 'CREATED_AT'];
  const direction = args.orderBy?.direction ?? 'DESC';
  const where: Prisma.OrderWhereInput = {
    ...(filter.customerId ? { customerId: filter.customerId } : {}),
    ...(filter.status?.length ? { status: { in: filter.status } } : {}),
    ...(filter.createdAfter || filter.createdBefore
      ? { createdAt: { ...(filter.createdAfter ? { gte: filter.createdAfter } : {}), ...(filter.createdBefore ? { lt: filter.createdBefore } : {}) } }
      : {}),
  };
  const page = keyset<Prisma.OrderWhereInput, Prisma.OrderOrderByWithRelationInput>('Order', sort, direction, args.after);
  const rows = await prisma.order.findMany({ where: { AND: [where, page.where] }, orderBy: page.orderBy, take: first + 1 });
  return toConnection('Order', rows, first, sort.field, direction, () => prisma.order.count({ where }));
}

export async function createOrder(prisma: PrismaClient, peers: Peers, rawInput: unknown) {
  const input = parseInput(createOrderInput, rawInput, 'input');
  const productIds = [...new Set(input.items.map((item) => item.productId))];
  const products = new Map((await prisma.product.findMany({ where: { id: { in: productIds } } })).map((product) => [product.id, product]));
  const currency = products.get(input.items[0].productId)?.currency;
  input.items.forEach((item, index) => {
    const field = `input.items.${index}.productId`;
    const product = products.get(item.productId);
    if (!product) throw badUserInput(`${field}: product ${item.productId} does not exist`, field);
    if (!product.active) throw badUserInput(`${field}: product ${product.sku} is not for sale`, field);
    if (product.currency !== currency) throw badUserInput(`${field}: every item of an order must be priced in ${currency}`, field);
  });
  await requireActiveCustomer(peers, input.customerId);
  const items = input.items.map((item, index) => ({
    line: index + 1,
    productId: item.productId,
    quantity: item.quantity,
    unitPriceMinor: products.get(item.productId)!.priceMinor,
  }));
  const totalMinor = items.reduce((sum, item) => sum + item.unitPriceMinor * BigInt(item.quantity), 0n);
  if (totalMinor > MAX_MINOR_UNITS) throw badUserInput('input.items: the order total is larger than an amount can be', 'input.items');
  return prisma.order.create({
    data: {
      customerId: input.customerId,
      status: input.status,
      currency: currency!,
      totalMinor,
      placedAt: input.status === 'PLACED' ? new Date() : null,
      items: { create: items },
    },
  });
}

export async function updateOrderStatus(prisma: PrismaClient, rawId: unknown, rawStatus: unknown) {
  const id = parseId(rawId);
  const status = parseInput(orderStatus, rawStatus, 'status');
  return prisma.$transaction(async (tx) => {
    const order = await tx.order.findUnique({ where: { id }, select: { status: true, placedAt: true } });
    if (!order) throw notFound('Order', id);
    if (!canMoveOrder(order.status, status)) throw badUserInput(`status: a ${order.status} order cannot become ${status}`, 'status');
    return tx.order.update({ where: { id }, data: { status, placedAt: order.placedAt ?? (status === 'PLACED' ? new Date() : null) } });
  });
}

export async function deleteOrder(prisma: PrismaClient, rawId: unknown) {
  const id = parseId(rawId);
  const order = await prisma.order.findUnique({ where: { id }, select: { status: true } });
  if (!order) throw notFound('Order', id);
  if (order.status !== 'DRAFT' && order.status !== 'CANCELLED') {
    throw conflict(`Order ${id} is ${order.status}; only DRAFT and CANCELLED orders can be deleted`, 'id');
  }
  await writeOrFail(() => prisma.order.delete({ where: { id } }), { target: { typeName: 'Order', id } });
  return id;
}

const OPPORTUNITY_SORT = {
  CREATED_AT: sortColumn('createdAt', 'date'),
  EXPECTED_CLOSE_DATE: sortColumn('expectedCloseDate', 'date'),
  AMOUNT: sortColumn('amountMinor', 'bigint'),
};

export async function listOpportunities(prisma: PrismaClient, args: RootListArgs<keyof typeof OPPORTUNITY_SORT>) {
  const first = pageSize(args.first);
  const filter = parseInput(opportunityFilter, args.filter, 'filter') ?? {};
  const sort = OPPORTUNITY_SORT[args.orderBy?.field ?? 'CREATED_AT'];
  const direction = args.orderBy?.direction ?? 'DESC';
  const where: Prisma.OpportunityWhereInput = {
    ...(filter.customerId ? { customerId: filter.customerId } : {}),
    ...(filter.stage?.length ? { stage: { in: filter.stage } } : {}),
    ...(filter.ownerId ? { ownerId: filter.ownerId } : {}),
    ...(filter.closingFrom || filter.closingTo
      ? { expectedCloseDate: { ...(filter.closingFrom ? { gte: filter.closingFrom } : {}), ...(filter.closingTo ? { lte: filter.closingTo } : {}) } }
      : {}),
  };
  const page = keyset<Prisma.OpportunityWhereInput, Prisma.OpportunityOrderByWithRelationInput>('Opportunity', sort, direction, args.after);
  const rows = await prisma.opportunity.findMany({ where: { AND: [where, page.where] }, orderBy: page.orderBy, take: first + 1 });
  return toConnection('Opportunity', rows, first, sort.field, direction, () => prisma.opportunity.count({ where }));
}

export async function createOpportunity(prisma: PrismaClient, peers: Peers, rawInput: unknown) {
  const { amount, ...input } = parseInput(createOpportunityInput, rawInput, 'input');
  const amountMinor = toMinorUnits(amount.amount, amount.currency, 'input.amount.amount');
  await requireActiveCustomer(peers, input.customerId);
  return prisma.opportunity.create({ data: { ...input, currency: amount.currency, amountMinor } });
}

export async function updateOpportunity(prisma: PrismaClient, rawId: unknown, rawInput: unknown) {
  const id = parseId(rawId);
  const { amount, ...input } = parseInput(updateOpportunityInput, rawInput, 'input');
  const amountData = amount ? { currency: amount.currency, amountMinor: toMinorUnits(amount.amount, amount.currency, 'input.amount.amount') } : {};
  return writeOrFail(() => prisma.opportunity.update({ where: { id }, data: { ...input, ...amountData } }), { target: { typeName: 'Opportunity', id } });
}

export async function deleteOpportunity(prisma: PrismaClient, rawId: unknown) {
  const id = parseId(rawId);
  await writeOrFail(() => prisma.opportunity.delete({ where: { id } }), { target: { typeName: 'Opportunity', id } });
  return id;
}
