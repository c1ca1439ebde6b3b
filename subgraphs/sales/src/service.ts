import { randomUUID } from 'node:crypto';
import { regardlessOfDeadline, timeLeftMs, WRITE_MARGIN_MS } from '../../../lib/deadline';
import { badUserInput, conflict, notFound, SubgraphUnavailableError, TooLateToWriteError } from '../../../lib/errors';
import { callPeerMutation, fetchEntities, type PeerService } from '../../../lib/entity-client';
import type { EventData } from '../../../lib/events/catalog';
import { appendEvent } from '../../../lib/events/outbox';
import { logger } from '../../../lib/logger';
import { toMinorUnits } from '../../../lib/money';
import { keyset, pageSize, sortColumn, toConnection, type RootListArgs } from '../../../lib/pagination';
import { writeOrFail } from '../../../lib/prisma-errors';
import { MAX_MINOR_UNITS, parseId, parseInput } from '../../../lib/inputs';
import { Prisma, type Opportunity, type OpportunityStage, type Order, type OrderStatus, type PrismaClient } from './generated/prisma/client';
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
import { canMoveOrder, customerReferences, customerRefusal, DELETABLE_STATUSES, type CustomerStanding } from './rules';

export type Peers = { customer: PeerService; marketing: PeerService };

type Tx = Prisma.TransactionClient;

const CUSTOMER_FIELD = 'input.customerId';

type CustomerEntity = { id: string; status: string; kind: string; ownerId: string | null; archived: boolean };

// Sales checks customers against its own copy, kept from the customer service's events. For a
// customer whose created event has not arrived yet it asks the customer service, and the write's
// transaction keeps the answer (sequence 0, so every event of the customer's applies over it).
async function readThroughCustomer(prisma: PrismaClient, peers: Peers, customerId: string): Promise<Prisma.KnownCustomerCreateManyInput | null> {
  if (await prisma.knownCustomer.findUnique({ where: { id: customerId }, select: { id: true } })) return null;
  const [customer] = await fetchEntities<CustomerEntity>(peers.customer, 'Customer', [customerId], 'id status kind ownerId archived');
  if (!customer) throw badUserInput(`${CUSTOMER_FIELD}: customer ${customerId} does not exist`, CUSTOMER_FIELD);
  const { status, kind, ownerId, archived } = customer;
  return { id: customerId, status, kind, ownerId, archived, sequence: 0 };
}

// In the transaction that inserts the order or deal: the shared lock keeps a deletion hold
// (FOR UPDATE in holdCustomer) from being set until this transaction ends, so the hold either
// sees the new row in its count or is seen here. A read-through row is written here, so a
// refused write leaves none behind.
async function lockCustomerForReference(tx: Tx, customerId: string, readThrough: Prisma.KnownCustomerCreateManyInput | null): Promise<void> {
  if (readThrough) await tx.knownCustomer.createMany({ data: [readThrough], skipDuplicates: true });
  const [customer] = await tx.$queryRaw<CustomerStanding[]>(Prisma.sql`
    SELECT "archived", "deleted", "erased", "deletionHoldId"::text AS "deletionHoldId" FROM "KnownCustomer" WHERE "id" = ${customerId}::uuid FOR SHARE`);
  const refusal = customerRefusal(customer);
  if (refusal) throw badUserInput(`${CUSTOMER_FIELD}: customer ${customerId} ${refusal}`, CUSTOMER_FIELD);
}

// Refusing a hold must leave nothing behind, the row it may have created included, so the
// refusal is thrown inside the transaction (rolling it back) and caught outside.
class HoldRefused {
  constructor(readonly references: string[]) {}
}

// deleteCustomer's first phase, asked by the customer service: from here on no order or deal
// can name the customer, unless it already has some (then nothing changes).
export async function holdCustomer(prisma: PrismaClient, rawCustomerId: unknown, rawHoldId: unknown): Promise<string[]> {
  const customerId = parseId(rawCustomerId, 'customerId');
  const holdId = parseId(rawHoldId, 'holdId');
  try {
    await prisma.$transaction(async (tx) => {
      await tx.knownCustomer.createMany({ data: [{ id: customerId }], skipDuplicates: true });
      await tx.$queryRaw(Prisma.sql`SELECT "id" FROM "KnownCustomer" WHERE "id" = ${customerId}::uuid FOR UPDATE`);
      // After the lock, so a cancellation that committed meanwhile is seen.
      if (await tx.cancelledHold.count({ where: { holdId } })) throw conflict(`the deletion of customer ${customerId} was cancelled before sales could hold it`, 'holdId');
      const references = customerReferences(await tx.order.count({ where: { customerId } }), await tx.opportunity.count({ where: { customerId } }));
      if (references.length) throw new HoldRefused(references);
      // Replaces a hold an abandoned deletion left: its cancellation names that hold, not this one.
      await tx.knownCustomer.update({ where: { id: customerId }, data: { deletionHoldId: holdId } });
    });
    return [];
  } catch (error) {
    if (error instanceof HoldRefused) return error.references;
    throw error;
  }
}

export async function releaseCustomer(prisma: PrismaClient, rawCustomerId: unknown, rawHoldId: unknown): Promise<boolean> {
  const customerId = parseId(rawCustomerId, 'customerId');
  const holdId = parseId(rawHoldId, 'holdId');
  const released = await prisma.$executeRaw(Prisma.sql`
    UPDATE "KnownCustomer" SET "deletionHoldId" = NULL WHERE "id" = ${customerId}::uuid AND "deletionHoldId" = ${holdId}::uuid`);
  return released > 0;
}

const orderState = (order: Order): EventData<'order.created'> => ({
  customerId: order.customerId,
  status: order.status,
  currency: order.currency,
  totalMinor: order.totalMinor.toString(),
  placedAt: order.placedAt?.toISOString() ?? null,
  createdAt: order.createdAt.toISOString(),
});

const opportunityState = (opportunity: Opportunity, previousStage: OpportunityStage | null): EventData<'opportunity.created'> => ({
  customerId: opportunity.customerId,
  stage: opportunity.stage,
  previousStage,
  amountMinor: opportunity.amountMinor.toString(),
  currency: opportunity.currency,
  ownerId: opportunity.ownerId,
});

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
  const items = input.items.map((item, index) => ({
    line: index + 1,
    productId: item.productId,
    quantity: item.quantity,
    unitPriceMinor: products.get(item.productId)!.priceMinor,
  }));
  const totalMinor = items.reduce((sum, item) => sum + item.unitPriceMinor * BigInt(item.quantity), 0n);
  if (totalMinor > MAX_MINOR_UNITS) throw badUserInput('input.items: the order total is larger than an amount can be', 'input.items');
  const readThrough = await readThroughCustomer(prisma, peers, input.customerId);
  return prisma.$transaction(async (tx) => {
    await lockCustomerForReference(tx, input.customerId, readThrough);
    const order = await tx.order.create({
      data: {
        customerId: input.customerId,
        status: input.status,
        currency: currency!,
        totalMinor,
        placedAt: input.status === 'PLACED' ? new Date() : null,
        items: { create: items },
      },
    });
    await appendEvent(tx, 'sales', 'order.created', order.id, orderState(order));
    return order;
  });
}

export async function updateOrderStatus(prisma: PrismaClient, rawId: unknown, rawStatus: unknown) {
  const id = parseId(rawId);
  const status = parseInput(orderStatus, rawStatus, 'status');
  return prisma.$transaction(async (tx) => {
    // Locked, so two moves of one order cannot both start from the same status.
    const [order] = await tx.$queryRaw<{ status: OrderStatus; placedAt: Date | null }[]>(Prisma.sql`
      SELECT "status"::text AS "status", "placedAt" FROM "Order" WHERE "id" = ${id}::uuid FOR UPDATE`);
    if (!order) throw notFound('Order', id);
    if (!canMoveOrder(order.status, status)) throw badUserInput(`status: a ${order.status} order cannot become ${status}`, 'status');
    const updated = await tx.order.update({ where: { id }, data: { status, placedAt: order.placedAt ?? (status === 'PLACED' ? new Date() : null) } });
    await appendEvent(tx, 'sales', 'order.status-changed', id, { ...orderState(updated), previousStatus: order.status });
    return updated;
  });
}

const HOLD_ORDER_IN_MARKETING = 'mutation ($orderId: ID!, $holdId: ID!) { _holdOrderInMarketing(orderId: $orderId, holdId: $holdId) }';
const RELEASE_ORDER_IN_MARKETING = 'mutation ($orderId: ID!, $holdId: ID!) { _releaseOrderInMarketing(orderId: $orderId, holdId: $holdId) }';

// Why an order cannot be held for deletion now.
async function notDeletable(prisma: PrismaClient, id: string) {
  const order = await prisma.order.findUnique({ where: { id }, select: { status: true, deletionHoldId: true } });
  if (!order) return notFound('Order', id);
  if (!DELETABLE_STATUSES.includes(order.status)) return conflict(`Order ${id} is ${order.status}; only DRAFT and CANCELLED orders can be deleted`, 'id');
  return conflict(`a deletion of order ${id} is already in progress`, 'id');
}

// Releases this deletion's hold. marketing: 'refused' when its hold was rolled back (nothing to
// release), heldBy when it holds the order (released by a call), 'unknown' when its answer never
// came (it may have committed). Only a hold that could not be released by a call is announced with
// order.deletion-cancelled, so a refused deletion leaves every database as it was. Raw SQL, here
// and where the hold is set, so the order's updatedAt does not change either.
// Undoing runs to the end even when the caller has given up (lib/deadline.ts).
function cancelOrderDeletion(prisma: PrismaClient, id: string, holdId: string, marketing: 'refused' | 'unknown' | { heldBy: PeerService }): Promise<void> {
  return regardlessOfDeadline(() => releaseOrderHolds(prisma, id, holdId, marketing));
}

async function releaseOrderHolds(prisma: PrismaClient, id: string, holdId: string, marketing: 'refused' | 'unknown' | { heldBy: PeerService }): Promise<void> {
  let announce = marketing === 'unknown';
  if (typeof marketing === 'object') {
    announce = await callPeerMutation(marketing.heldBy, RELEASE_ORDER_IN_MARKETING, { orderId: id, holdId }).then(
      () => false,
      () => true,
    );
  }
  await prisma.$transaction(async (tx) => {
    const [released] = await tx.$queryRaw<{ customerId: string }[]>(Prisma.sql`
      UPDATE "Order" SET "deletionHoldId" = NULL, "deletionStartedAt" = NULL WHERE "id" = ${id}::uuid AND "deletionHoldId" = ${holdId}::uuid
      RETURNING "customerId"::text AS "customerId"`);
    if (released && announce) await appendEvent(tx, 'sales', 'order.deletion-cancelled', id, { holdId, customerId: released.customerId });
  });
}

// Two phases, as deleteCustomer: hold the order here, have marketing hold its copy (refused
// while campaigns are credited with the order), then delete only if this hold is still in place
// and the order still deletable. Anything else releases both holds.
export async function deleteOrder(prisma: PrismaClient, peers: Peers, rawId: unknown) {
  const id = parseId(rawId);
  const holdId = randomUUID();
  const held = await prisma.$executeRaw(Prisma.sql`
    UPDATE "Order" SET "deletionHoldId" = ${holdId}::uuid, "deletionStartedAt" = ${new Date()}
    WHERE "id" = ${id}::uuid AND "deletionHoldId" IS NULL AND "status"::text = ANY(${DELETABLE_STATUSES}::text[])`);
  if (!held) throw await notDeletable(prisma, id);
  let references: string[];
  try {
    ({ _holdOrderInMarketing: references } = await callPeerMutation<{ _holdOrderInMarketing: string[] }>(peers.marketing, HOLD_ORDER_IN_MARKETING, { orderId: id, holdId }));
  } catch (error) {
    await cancelOrderDeletion(prisma, id, holdId, 'unknown');
    throw error;
  }
  if (references.length) {
    await cancelOrderDeletion(prisma, id, holdId, 'refused');
    throw conflict(`Order ${id} is ${references.join(', ')}; remove the attributions first`, 'id');
  }
  // The gateway has given up on this request and told the client it failed.
  if (timeLeftMs() < WRITE_MARGIN_MS) {
    await cancelOrderDeletion(prisma, id, holdId, { heldBy: peers.marketing });
    throw new SubgraphUnavailableError('marketing', 'it answered too late to delete anything; nothing was deleted');
  }
  const deleted = await prisma
    .$transaction(async (tx) => {
      const [order] = await tx.$queryRaw<{ customerId: string }[]>(Prisma.sql`
        DELETE FROM "Order" WHERE "id" = ${id}::uuid AND "deletionHoldId" = ${holdId}::uuid AND "status"::text = ANY(${DELETABLE_STATUSES}::text[])
        RETURNING "customerId"::text AS "customerId"`);
      if (order) await appendEvent(tx, 'sales', 'order.deleted', id, { holdId, customerId: order.customerId });
      return Boolean(order);
    })
    .catch(async (error: unknown) => {
      // The caller gave up before the deletion could commit: it rolled back, and is undone.
      if (!(error instanceof TooLateToWriteError)) throw error;
      await cancelOrderDeletion(prisma, id, holdId, { heldBy: peers.marketing });
      throw new SubgraphUnavailableError('marketing', 'it answered too late to delete anything; nothing was deleted');
    });
  if (deleted) return id;
  // The order moved on (placed, say) while marketing was asked.
  await cancelOrderDeletion(prisma, id, holdId, { heldBy: peers.marketing });
  throw await notDeletable(prisma, id);
}

// A deletion whose process died between its phases leaves its hold; after this long none is
// still running (a request's budget is far shorter).
const STALE_HOLD_MS = 60_000;
const SWEEP_EVERY_MS = 30_000;

export async function cancelStaleOrderDeletions(prisma: PrismaClient): Promise<number> {
  const stale = await prisma.order.findMany({
    where: { deletionHoldId: { not: null }, deletionStartedAt: { lt: new Date(Date.now() - STALE_HOLD_MS) } },
    select: { id: true, deletionHoldId: true },
  });
  for (const order of stale) await cancelOrderDeletion(prisma, order.id, order.deletionHoldId!, 'unknown');
  return stale.length;
}

// On start and every SWEEP_EVERY_MS until stopped; stop() waits for a sweep under way.
export function startOrderDeletionSweeper(prisma: PrismaClient): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const sweep = () => {
    running = running
      .then(() => cancelStaleOrderDeletions(prisma))
      .then(
        (released) => {
          if (released) logger.warn({ service: 'sales', released }, 'released order deletion holds left by an interrupted deleteOrder');
        },
        (error: unknown) => logger.warn({ err: error, service: 'sales' }, 'sweeping stale order deletion holds failed'),
      );
  };
  sweep();
  const timer = setInterval(sweep, SWEEP_EVERY_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
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
  const readThrough = await readThroughCustomer(prisma, peers, input.customerId);
  return prisma.$transaction(async (tx) => {
    await lockCustomerForReference(tx, input.customerId, readThrough);
    const opportunity = await tx.opportunity.create({ data: { ...input, currency: amount.currency, amountMinor } });
    await appendEvent(tx, 'sales', 'opportunity.created', opportunity.id, opportunityState(opportunity, null));
    return opportunity;
  });
}

export async function updateOpportunity(prisma: PrismaClient, rawId: unknown, rawInput: unknown) {
  const id = parseId(rawId);
  const { amount, ...input } = parseInput(updateOpportunityInput, rawInput, 'input');
  const amountData = amount ? { currency: amount.currency, amountMinor: toMinorUnits(amount.amount, amount.currency, 'input.amount.amount') } : {};
  return prisma.$transaction(async (tx) => {
    // Locked, so the stage it moves from is the one the event reports.
    const [current] = await tx.$queryRaw<{ stage: OpportunityStage }[]>(Prisma.sql`
      SELECT "stage"::text AS "stage" FROM "Opportunity" WHERE "id" = ${id}::uuid FOR UPDATE`);
    if (!current) throw notFound('Opportunity', id);
    const opportunity = await tx.opportunity.update({ where: { id }, data: { ...input, ...amountData } });
    if (opportunity.stage !== current.stage) await appendEvent(tx, 'sales', 'opportunity.stage-changed', id, opportunityState(opportunity, current.stage));
    return opportunity;
  });
}

export async function deleteOpportunity(prisma: PrismaClient, rawId: unknown) {
  const id = parseId(rawId);
  await writeOrFail(
    () =>
      prisma.$transaction(async (tx) => {
        const { customerId } = await tx.opportunity.delete({ where: { id }, select: { customerId: true } });
        await appendEvent(tx, 'sales', 'opportunity.deleted', id, { customerId });
      }),
    { target: { typeName: 'Opportunity', id } },
  );
  return id;
}
