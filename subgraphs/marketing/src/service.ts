import { badUserInput, conflict, notFound } from '../../../lib/errors';
import { fetchEntities, type PeerService } from '../../../lib/entity-client';
import { toMinorUnits } from '../../../lib/money';
import { keyset, pageSize, sortColumn, toConnection, type RootListArgs } from '../../../lib/pagination';
import { writeOrFail } from '../../../lib/prisma-errors';
import { parseId, parseInput } from '../../../lib/inputs';
import { appendEvent, appendEvents } from '../../../lib/events/outbox';
import type { MemberStatus, Prisma, PrismaClient } from './generated/prisma/client';
import { SOURCE } from './known-customers';
import {
  campaignFilter,
  createCampaignInput,
  createSegmentInput,
  memberIds,
  memberStatus,
  recordResponseInput,
  updateCampaignInput,
  updateSegmentInput,
} from './inputs';
import { canMoveCampaign, memberStatusAfter } from './rules';

export type Peers = { customer: PeerService; sales: PeerService };

type Tx = Prisma.TransactionClient;

async function requireSegment(prisma: PrismaClient, segmentId: string | null | undefined) {
  if (!segmentId) return;
  const segment = await prisma.segment.findUnique({ where: { id: segmentId }, select: { id: true } });
  if (!segment) throw badUserInput(`input.segmentId: segment ${segmentId} does not exist`, 'input.segmentId');
}

async function requireCampaign(prisma: PrismaClient, campaignId: string, field = 'campaignId') {
  const campaign = await prisma.campaign.findUnique({ where: { id: campaignId } });
  if (!campaign) throw notFound('Campaign', campaignId, field);
  return campaign;
}

const SEGMENT_NAME_TAKEN = { message: 'a segment with this name already exists', field: 'input.name' };

export async function listSegments(prisma: PrismaClient, args: RootListArgs<never>) {
  const first = pageSize(args.first);
  const page = keyset<Prisma.SegmentWhereInput, Prisma.SegmentOrderByWithRelationInput>('Segment', sortColumn('createdAt', 'date'), 'DESC', args.after);
  const rows = await prisma.segment.findMany({ where: page.where, orderBy: page.orderBy, take: first + 1 });
  return toConnection('Segment', rows, first, 'createdAt', 'DESC', () => prisma.segment.count());
}

export async function createSegment(prisma: PrismaClient, rawInput: unknown) {
  const input = parseInput(createSegmentInput, rawInput, 'input');
  return writeOrFail(() => prisma.segment.create({ data: input }), { duplicate: SEGMENT_NAME_TAKEN });
}

export async function updateSegment(prisma: PrismaClient, rawId: unknown, rawInput: unknown) {
  const id = parseId(rawId);
  const input = parseInput(updateSegmentInput, rawInput, 'input');
  return writeOrFail(() => prisma.segment.update({ where: { id }, data: input }), { target: { typeName: 'Segment', id }, duplicate: SEGMENT_NAME_TAKEN });
}

export async function deleteSegment(prisma: PrismaClient, rawId: unknown) {
  const id = parseId(rawId);
  await writeOrFail(() => prisma.segment.delete({ where: { id } }), { target: { typeName: 'Segment', id } });
  return id;
}

const CAMPAIGN_SORT = { NAME: sortColumn('name', 'string'), CREATED_AT: sortColumn('createdAt', 'date'), STARTS_AT: sortColumn('startsAt', 'date') };

export async function listCampaigns(prisma: PrismaClient, args: RootListArgs<keyof typeof CAMPAIGN_SORT>) {
  const first = pageSize(args.first);
  const filter = parseInput(campaignFilter, args.filter, 'filter') ?? {};
  const sort = CAMPAIGN_SORT[args.orderBy?.field ?? 'CREATED_AT'];
  const direction = args.orderBy?.direction ?? 'DESC';
  const where: Prisma.CampaignWhereInput = {
    ...(filter.search ? { name: { contains: filter.search, mode: 'insensitive' } } : {}),
    ...(filter.status?.length ? { status: { in: filter.status } } : {}),
    ...(filter.channel?.length ? { channel: { in: filter.channel } } : {}),
    ...(filter.segmentId ? { segmentId: filter.segmentId } : {}),
    // Keyset cursors need a value on every row, so unscheduled campaigns drop out of a sort by start.
    ...(sort.field === 'startsAt' ? { startsAt: { not: null } } : {}),
  };
  const page = keyset<Prisma.CampaignWhereInput, Prisma.CampaignOrderByWithRelationInput>('Campaign', sort, direction, args.after);
  const rows = await prisma.campaign.findMany({ where: { AND: [where, page.where] }, orderBy: page.orderBy, take: first + 1 });
  return toConnection('Campaign', rows, first, sort.field, direction, () => prisma.campaign.count({ where }));
}

export async function createCampaign(prisma: PrismaClient, rawInput: unknown) {
  const { budget, ...input } = parseInput(createCampaignInput, rawInput, 'input');
  const budgetMinor = toMinorUnits(budget.amount, budget.currency, 'input.budget.amount');
  await requireSegment(prisma, input.segmentId);
  return prisma.campaign.create({ data: { ...input, currency: budget.currency, budgetMinor } });
}

export async function updateCampaign(prisma: PrismaClient, rawId: unknown, rawInput: unknown) {
  const id = parseId(rawId);
  const { budget, ...input } = parseInput(updateCampaignInput, rawInput, 'input');
  const budgetData = budget ? { currency: budget.currency, budgetMinor: toMinorUnits(budget.amount, budget.currency, 'input.budget.amount') } : {};
  await requireSegment(prisma, input.segmentId);
  return prisma.$transaction(async (tx) => {
    const current = await tx.campaign.findUnique({ where: { id } });
    if (!current) throw notFound('Campaign', id);
    if (input.status && !canMoveCampaign(current.status, input.status)) {
      throw badUserInput(`input.status: a campaign that is ${current.status} cannot become ${input.status}`, 'input.status');
    }
    const startsAt = input.startsAt === undefined ? current.startsAt : input.startsAt;
    const endsAt = input.endsAt === undefined ? current.endsAt : input.endsAt;
    if (startsAt && endsAt && endsAt <= startsAt) throw badUserInput('input.endsAt: must be after startsAt', 'input.endsAt');
    return tx.campaign.update({ where: { id }, data: { ...input, ...budgetData } });
  });
}

// Writes that reference a customer or an order check it in KnownCustomer / OrderFact (kept from
// the other services' events) and write in ONE transaction holding that row FOR SHARE. A
// deletion places its hold on the same row FOR UPDATE (holdCustomer, holdOrder), so either the
// write committed first and the hold counts it, or the write sees the hold and is refused.

type KnownCustomerRow = { id: string; deleted: boolean; erased: boolean; held: boolean };
type CustomerState = { id: string; kind: string; status: string; ownerId: string | null; archived: boolean };

// What a customer the write names lacks, in the words of the refusal, or null.
const customerRefusal = (row: KnownCustomerRow | undefined) =>
  !row || row.deleted ? 'does not exist' : row.erased ? 'has been erased' : row.held ? 'is being deleted' : null;

// Customers not known here yet (their created event is still on its way), read through from
// the customer service before the transaction so it holds no lock while it waits. A customer
// the customer service does not know is left out, and refused.
async function readThroughCustomers(prisma: PrismaClient, peers: Peers, customerIds: string[]): Promise<CustomerState[]> {
  const known = new Set((await prisma.knownCustomer.findMany({ where: { id: { in: customerIds } }, select: { id: true } })).map((row) => row.id));
  const unknown = customerIds.filter((id) => !known.has(id));
  if (!unknown.length) return [];
  const found = await fetchEntities<CustomerState>(peers.customer, 'Customer', unknown, 'id kind status ownerId archived');
  return found.filter((customer): customer is CustomerState => customer !== null);
}

// Two writes that insert the same keys wait for each other's rows; in the same order, never in a circle.
const byKey = <T>(rows: T[], key: (row: T) => string) => [...rows].sort((a, b) => key(a).localeCompare(key(b)));

// Sequence 0, so the customer's first event still applies; a row that arrived meanwhile wins.
async function lockCustomers(tx: Tx, readThrough: CustomerState[], customerIds: string[]): Promise<Map<string, KnownCustomerRow>> {
  if (readThrough.length) {
    await tx.knownCustomer.createMany({ data: byKey(readThrough, (customer) => customer.id).map((customer) => ({ ...customer, sequence: 0 })), skipDuplicates: true });
  }
  const rows = await tx.$queryRaw<KnownCustomerRow[]>`
    SELECT "id"::text, "deleted", "erased", "deletionHoldId" IS NOT NULL AS "held" FROM "KnownCustomer" WHERE "id" = ANY(${customerIds}::uuid[]) FOR SHARE`;
  return new Map(rows.map((row) => [row.id, row]));
}

async function lockMember(tx: Tx, campaignId: string, customerId: string, field: string) {
  const [member] = await tx.$queryRaw<{ id: string; status: MemberStatus }[]>`
    SELECT "id"::text, "status"::text AS "status" FROM "CampaignMember" WHERE "campaignId" = ${campaignId}::uuid AND "customerId" = ${customerId}::uuid FOR UPDATE`;
  if (!member) throw badUserInput(`${field}: customer ${customerId} is not a member of campaign ${campaignId}`, field);
  return member;
}

// Members and attributions go with the campaign (responses too, which have no removal event).
export async function deleteCampaign(prisma: PrismaClient, rawId: unknown) {
  const id = parseId(rawId);
  await prisma.$transaction(async (tx) => {
    const members = await tx.$queryRaw<{ id: string; customerId: string; status: MemberStatus }[]>`
      DELETE FROM "CampaignMember" WHERE "campaignId" = ${id}::uuid RETURNING "id"::text, "customerId"::text, "status"::text`;
    const attributions = await tx.$queryRaw<{ id: string; orderId: string; customerId: string }[]>`
      DELETE FROM "OrderAttribution" WHERE "campaignId" = ${id}::uuid RETURNING "id"::text, "orderId"::text, "customerId"::text`;
    const { count } = await tx.campaign.deleteMany({ where: { id } });
    if (count === 0) throw notFound('Campaign', id);
    await appendEvents(tx, SOURCE, 'campaign-member.removed', members.map((member) => ({ aggregateId: member.id, data: { campaignId: id, customerId: member.customerId, status: member.status } })));
    await appendEvents(tx, SOURCE, 'order-attribution.removed', attributions.map((row) => ({ aggregateId: row.id, data: { campaignId: id, orderId: row.orderId, customerId: row.customerId } })));
  });
  return id;
}

export async function addCampaignMembers(prisma: PrismaClient, peers: Peers, rawCampaignId: unknown, rawCustomerIds: unknown) {
  const campaignId = parseId(rawCampaignId, 'campaignId');
  const customerIds = [...new Set(parseInput(memberIds, rawCustomerIds, 'customerIds'))];
  const campaign = await requireCampaign(prisma, campaignId);
  if (campaign.status === 'COMPLETED') throw conflict(`Campaign ${campaignId} is COMPLETED`, 'campaignId');
  const readThrough = await readThroughCustomers(prisma, peers, customerIds);
  await prisma.$transaction(async (tx) => {
    const known = await lockCustomers(tx, readThrough, customerIds);
    customerIds.forEach((customerId, index) => {
      const refusal = customerRefusal(known.get(customerId));
      if (refusal) throw badUserInput(`customerIds.${index}: customer ${customerId} ${refusal}`, `customerIds.${index}`);
    });
    // Only the rows it inserted come back, so existing members get no second event.
    const added = await tx.campaignMember.createManyAndReturn({
      data: byKey(customerIds, (customerId) => customerId).map((customerId) => ({ campaignId, customerId })),
      skipDuplicates: true,
      select: { id: true, customerId: true, status: true },
    });
    await appendEvents(tx, SOURCE, 'campaign-member.added', added.map((member) => ({ aggregateId: member.id, data: { campaignId, customerId: member.customerId, status: member.status } })));
  });
  return campaign;
}

export async function updateMemberStatus(prisma: PrismaClient, rawCampaignId: unknown, rawCustomerId: unknown, rawStatus: unknown) {
  const campaignId = parseId(rawCampaignId, 'campaignId');
  const customerId = parseId(rawCustomerId, 'customerId');
  const status = parseInput(memberStatus, rawStatus, 'status');
  await requireCampaign(prisma, campaignId);
  return prisma.$transaction(async (tx) => {
    const member = await lockMember(tx, campaignId, customerId, 'customerId');
    const updated = await tx.campaignMember.update({ where: { id: member.id }, data: { status } });
    if (member.status !== status) await appendEvent(tx, SOURCE, 'campaign-member.status-changed', member.id, { campaignId, customerId, status });
    return updated;
  });
}

export async function removeCampaignMember(prisma: PrismaClient, rawCampaignId: unknown, rawCustomerId: unknown) {
  const campaignId = parseId(rawCampaignId, 'campaignId');
  const customerId = parseId(rawCustomerId, 'customerId');
  await requireCampaign(prisma, campaignId);
  await prisma.$transaction(async (tx) => {
    const member = await lockMember(tx, campaignId, customerId, 'customerId');
    await tx.campaignMember.delete({ where: { id: member.id } });
    await appendEvent(tx, SOURCE, 'campaign-member.removed', member.id, { campaignId, customerId, status: member.status });
  });
  return customerId;
}

export async function recordResponse(prisma: PrismaClient, peers: Peers, rawInput: unknown) {
  const input = parseInput(recordResponseInput, rawInput, 'input');
  await requireCampaign(prisma, input.campaignId, 'input.campaignId');
  // Asked first, so a customer who is no member is told so without the customer service.
  const existing = await prisma.campaignMember.findUnique({ where: { campaignId_customerId: { campaignId: input.campaignId, customerId: input.customerId } }, select: { id: true } });
  if (!existing) throw badUserInput(`input.customerId: customer ${input.customerId} is not a member of campaign ${input.campaignId}`, 'input.customerId');
  const readThrough = await readThroughCustomers(prisma, peers, [input.customerId]);
  return prisma.$transaction(async (tx) => {
    // The customer before the member, in the order the erasure takes them, so neither waits on the other forever.
    const refusal = customerRefusal((await lockCustomers(tx, readThrough, [input.customerId])).get(input.customerId));
    if (refusal) throw badUserInput(`input.customerId: customer ${input.customerId} ${refusal}`, 'input.customerId');
    const member = await lockMember(tx, input.campaignId, input.customerId, 'input.customerId');
    const response = await tx.campaignResponse.create({ data: { ...input, occurredAt: input.occurredAt ?? new Date() } });
    const status = memberStatusAfter(member.status, input.type);
    if (status !== member.status) {
      await tx.campaignMember.update({ where: { id: member.id }, data: { status } });
      await appendEvent(tx, SOURCE, 'campaign-member.status-changed', member.id, { campaignId: input.campaignId, customerId: input.customerId, status });
    }
    await appendEvent(tx, SOURCE, 'campaign-response.recorded', response.id, {
      campaignId: input.campaignId,
      customerId: input.customerId,
      type: input.type,
      occurredAt: response.occurredAt.toISOString(),
    });
    return response;
  });
}

type OrderState = { id: string; customer: { id: string } | null; status: string; total: { currency: string; minorUnits: string }; placedAt: string | null; createdAt: string };

// An order not known here yet, read through from the sales service (sequence 0, so its first
// event still applies); null when sales does not know it either.
async function readThroughOrder(peers: Peers, orderId: string): Promise<Prisma.OrderFactCreateManyInput | null> {
  const [order] = await fetchEntities<OrderState>(peers.sales, 'Order', [orderId], 'id customer { id } status total { currency minorUnits } placedAt createdAt');
  if (!order?.customer) return null;
  return {
    orderId,
    customerId: order.customer.id,
    status: order.status,
    currency: order.total.currency,
    totalMinor: BigInt(order.total.minorUnits),
    placedAt: order.placedAt ? new Date(order.placedAt) : null,
    createdAt: new Date(order.createdAt),
    sequence: 0,
  };
}

type OrderFactRow = { customerId: string; deleted: boolean; held: boolean };

async function lockOrder(tx: Tx, readThrough: Prisma.OrderFactCreateManyInput | null, orderId: string): Promise<OrderFactRow | undefined> {
  if (readThrough) await tx.orderFact.createMany({ data: [readThrough], skipDuplicates: true });
  const [row] = await tx.$queryRaw<OrderFactRow[]>`
    SELECT "customerId"::text, "deleted", "deletionHoldId" IS NOT NULL AS "held" FROM "OrderFact" WHERE "orderId" = ${orderId}::uuid FOR SHARE`;
  return row;
}

export async function attributeOrder(prisma: PrismaClient, peers: Peers, rawCampaignId: unknown, rawOrderId: unknown) {
  const campaignId = parseId(rawCampaignId, 'campaignId');
  const orderId = parseId(rawOrderId, 'orderId');
  const campaign = await requireCampaign(prisma, campaignId);
  const known = await prisma.orderFact.findUnique({ where: { orderId }, select: { customerId: true } });
  const readThrough = known ? null : await readThroughOrder(peers, orderId);
  const customerId = known?.customerId ?? readThrough?.customerId;
  if (!customerId) throw badUserInput(`orderId: order ${orderId} does not exist`, 'orderId');
  const readThroughCustomer = await readThroughCustomers(prisma, peers, [customerId]);
  await prisma.$transaction(async (tx) => {
    const order = await lockOrder(tx, readThrough, orderId);
    if (!order || order.deleted) throw badUserInput(`orderId: order ${orderId} does not exist`, 'orderId');
    if (order.held) throw badUserInput(`orderId: order ${orderId} is being deleted`, 'orderId');
    // The attribution names the order's customer too, whose deletion counts it.
    const refusal = customerRefusal((await lockCustomers(tx, readThroughCustomer, [order.customerId])).get(order.customerId));
    if (refusal) throw badUserInput(`orderId: customer ${order.customerId} of order ${orderId} ${refusal}`, 'orderId');
    const [added] = await tx.orderAttribution.createManyAndReturn({ data: [{ campaignId, orderId, customerId: order.customerId }], skipDuplicates: true, select: { id: true } });
    if (added) await appendEvent(tx, SOURCE, 'order-attribution.added', added.id, { campaignId, orderId, customerId: order.customerId });
  });
  return campaign;
}

export async function removeOrderAttribution(prisma: PrismaClient, rawCampaignId: unknown, rawOrderId: unknown) {
  const campaignId = parseId(rawCampaignId, 'campaignId');
  const orderId = parseId(rawOrderId, 'orderId');
  const campaign = await requireCampaign(prisma, campaignId);
  await prisma.$transaction(async (tx) => {
    const [removed] = await tx.$queryRaw<{ id: string; customerId: string }[]>`
      DELETE FROM "OrderAttribution" WHERE "campaignId" = ${campaignId}::uuid AND "orderId" = ${orderId}::uuid RETURNING "id"::text, "customerId"::text`;
    if (!removed) throw badUserInput(`orderId: order ${orderId} is not attributed to campaign ${campaignId}`, 'orderId');
    await appendEvent(tx, SOURCE, 'order-attribution.removed', removed.id, { campaignId, orderId, customerId: removed.customerId });
  });
  return campaign;
}

// Thrown inside a hold's transaction to roll all of it back (the hold and any row it inserted).
class HoldRefused {
  constructor(readonly reasons: string[]) {}
}

async function unlessRefused(hold: Promise<string[]>): Promise<string[]> {
  try {
    return await hold;
  } catch (error) {
    if (error instanceof HoldRefused) return error.reasons;
    throw error;
  }
}

const counted = (count: number, one: string, many: string) => (count ? [`${count} ${count === 1 ? one : many}`] : []);

// deleteCustomer's first phase (customer service): the row is locked FOR UPDATE, then the
// references are counted; any reference refuses, and nothing stays held. A customer
// not seen here yet gets a row without state, which its events fill in.
export async function holdCustomer(prisma: PrismaClient, rawCustomerId: unknown, rawHoldId: unknown): Promise<string[]> {
  const customerId = parseId(rawCustomerId, 'customerId');
  const holdId = parseId(rawHoldId, 'holdId');
  return unlessRefused(
    prisma.$transaction(async (tx) => {
      await tx.knownCustomer.createMany({ data: [{ id: customerId }], skipDuplicates: true });
      await tx.$queryRaw`SELECT "id" FROM "KnownCustomer" WHERE "id" = ${customerId}::uuid FOR UPDATE`;
      // After the lock, so a cancellation that committed meanwhile is seen.
      if (await tx.cancelledHold.count({ where: { holdId } })) throw conflict(`the deletion of customer ${customerId} was cancelled before marketing could hold it`, 'holdId');
      await tx.$executeRaw`UPDATE "KnownCustomer" SET "deletionHoldId" = ${holdId}::uuid WHERE "id" = ${customerId}::uuid`;
      const [counts] = await tx.$queryRaw<{ memberships: number; responses: number; attributions: number }[]>`
        SELECT (SELECT count(*)::int FROM "CampaignMember" WHERE "customerId" = ${customerId}::uuid) AS "memberships",
               (SELECT count(*)::int FROM "CampaignResponse" WHERE "customerId" = ${customerId}::uuid) AS "responses",
               (SELECT count(*)::int FROM "OrderAttribution" WHERE "customerId" = ${customerId}::uuid) AS "attributions"`;
      const reasons = [
        ...counted(counts.memberships, 'campaign membership', 'campaign memberships'),
        ...counted(counts.responses, 'campaign response', 'campaign responses'),
        ...counted(counts.attributions, 'order attribution', 'order attributions'),
      ];
      if (reasons.length) throw new HoldRefused(reasons);
      return [];
    }),
  );
}

// A deletion that did not go ahead: the owner releases the hold it placed, by its id.
export async function releaseCustomer(prisma: PrismaClient, rawCustomerId: unknown, rawHoldId: unknown): Promise<boolean> {
  const customerId = parseId(rawCustomerId, 'customerId');
  const holdId = parseId(rawHoldId, 'holdId');
  const { count } = await prisma.knownCustomer.updateMany({ where: { id: customerId, deletionHoldId: holdId }, data: { deletionHoldId: null } });
  return count > 0;
}

export async function releaseOrder(prisma: PrismaClient, rawOrderId: unknown, rawHoldId: unknown): Promise<boolean> {
  const orderId = parseId(rawOrderId, 'orderId');
  const holdId = parseId(rawHoldId, 'holdId');
  const { count } = await prisma.orderFact.updateMany({ where: { orderId, deletionHoldId: holdId }, data: { deletionHoldId: null } });
  return count > 0;
}

// deleteOrder's first phase (sales service), as holdCustomer. Sales, which asks, still has the
// order, so an order not seen here yet is read through from it. One sales does not know has no
// row to hold, and nothing can be attributed it.
export async function holdOrder(prisma: PrismaClient, peers: Peers, rawOrderId: unknown, rawHoldId: unknown): Promise<string[]> {
  const orderId = parseId(rawOrderId, 'orderId');
  const holdId = parseId(rawHoldId, 'holdId');
  const known = await prisma.orderFact.findUnique({ where: { orderId }, select: { orderId: true } });
  const readThrough = known ? null : await readThroughOrder(peers, orderId);
  return unlessRefused(
    prisma.$transaction(async (tx) => {
      if (readThrough) await tx.orderFact.createMany({ data: [readThrough], skipDuplicates: true });
      await tx.$queryRaw`SELECT "orderId" FROM "OrderFact" WHERE "orderId" = ${orderId}::uuid FOR UPDATE`;
      if (await tx.cancelledHold.count({ where: { holdId } })) throw conflict(`the deletion of order ${orderId} was cancelled before marketing could hold it`, 'holdId');
      await tx.$executeRaw`UPDATE "OrderFact" SET "deletionHoldId" = ${holdId}::uuid WHERE "orderId" = ${orderId}::uuid`;
      const campaigns = await tx.orderAttribution.count({ where: { orderId } });
      if (campaigns) throw new HoldRefused([`attributed to ${campaigns} ${campaigns === 1 ? 'campaign' : 'campaigns'}`]);
      return [];
    }),
  );
}
