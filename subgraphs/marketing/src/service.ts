import { badUserInput, conflict, notFound } from '../../../lib/errors';
import { fetchEntities, type PeerService } from '../../../lib/entity-client';
import { toMinorUnits } from '../../../lib/money';
import { keyset, pageSize, sortColumn, toConnection, type RootListArgs } from '../../../lib/pagination';
import { writeOrFail } from '../../../lib/prisma-errors';
import { parseId, parseInput } from '../../../lib/inputs';
import type { Prisma, PrismaClient } from './generated/prisma/client';
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
      throw badUserInput(`input.status: a ${current.status} campaign cannot become ${input.status}`, 'input.status');
    }
    const startsAt = input.startsAt === undefined ? current.startsAt : input.startsAt;
    const endsAt = input.endsAt === undefined ? current.endsAt : input.endsAt;
    if (startsAt && endsAt && endsAt <= startsAt) throw badUserInput('input.endsAt: must be after startsAt', 'input.endsAt');
    return tx.campaign.update({ where: { id }, data: { ...input, ...budgetData } });
  });
}

export async function deleteCampaign(prisma: PrismaClient, rawId: unknown) {
  const id = parseId(rawId);
  await writeOrFail(() => prisma.campaign.delete({ where: { id } }), { target: { typeName: 'Campaign', id } });
  return id;
}

export async function addCampaignMembers(prisma: PrismaClient, peers: Peers, rawCampaignId: unknown, rawCustomerIds: unknown) {
  const campaignId = parseId(rawCampaignId, 'campaignId');
  const customerIds = [...new Set(parseInput(memberIds, rawCustomerIds, 'customerIds'))];
  const campaign = await requireCampaign(prisma, campaignId);
  if (campaign.status === 'COMPLETED') throw conflict(`Campaign ${campaignId} is COMPLETED`, 'campaignId');
  const customers = await fetchEntities<{ id: string }>(peers.customer, 'Customer', customerIds, 'id');
  const missing = customerIds.findIndex((_, index) => !customers[index]);
  if (missing >= 0) {
    throw badUserInput(`customerIds.${missing}: customer ${customerIds[missing]} does not exist`, `customerIds.${missing}`);
  }
  await prisma.campaignMember.createMany({ data: customerIds.map((customerId) => ({ campaignId, customerId })), skipDuplicates: true });
  return campaign;
}

async function requireMember(prisma: PrismaClient, campaignId: string, customerId: string, field: string) {
  const member = await prisma.campaignMember.findUnique({ where: { campaignId_customerId: { campaignId, customerId } } });
  if (!member) throw badUserInput(`${field}: customer ${customerId} is not a member of campaign ${campaignId}`, field);
  return member;
}

export async function updateMemberStatus(prisma: PrismaClient, rawCampaignId: unknown, rawCustomerId: unknown, rawStatus: unknown) {
  const campaignId = parseId(rawCampaignId, 'campaignId');
  const customerId = parseId(rawCustomerId, 'customerId');
  const status = parseInput(memberStatus, rawStatus, 'status');
  await requireCampaign(prisma, campaignId);
  const member = await requireMember(prisma, campaignId, customerId, 'customerId');
  return prisma.campaignMember.update({ where: { id: member.id }, data: { status } });
}

export async function removeCampaignMember(prisma: PrismaClient, rawCampaignId: unknown, rawCustomerId: unknown) {
  const campaignId = parseId(rawCampaignId, 'campaignId');
  const customerId = parseId(rawCustomerId, 'customerId');
  await requireCampaign(prisma, campaignId);
  const member = await requireMember(prisma, campaignId, customerId, 'customerId');
  await prisma.campaignMember.delete({ where: { id: member.id } });
  return customerId;
}

export async function recordResponse(prisma: PrismaClient, rawInput: unknown) {
  const input = parseInput(recordResponseInput, rawInput, 'input');
  await requireCampaign(prisma, input.campaignId, 'input.campaignId');
  const member = await requireMember(prisma, input.campaignId, input.customerId, 'input.customerId');
  const [response] = await prisma.$transaction([
    prisma.campaignResponse.create({ data: { ...input, occurredAt: input.occurredAt ?? new Date() } }),
    prisma.campaignMember.update({ where: { id: member.id }, data: { status: memberStatusAfter(member.status, input.type) } }),
  ]);
  return response;
}

type OrderRef = { id: string; customer: { id: string } | null };

export async function attributeOrder(prisma: PrismaClient, peers: Peers, rawCampaignId: unknown, rawOrderId: unknown) {
  const campaignId = parseId(rawCampaignId, 'campaignId');
  const orderId = parseId(rawOrderId, 'orderId');
  const campaign = await requireCampaign(prisma, campaignId);
  const [order] = await fetchEntities<OrderRef>(peers.sales, 'Order', [orderId], 'id customer { id }');
  if (!order?.customer) throw badUserInput(`orderId: order ${orderId} does not exist`, 'orderId');
  await prisma.orderAttribution.upsert({
    where: { campaignId_orderId: { campaignId, orderId } },
    create: { campaignId, orderId, customerId: order.customer.id },
    update: {},
  });
  return campaign;
}

export async function removeOrderAttribution(prisma: PrismaClient, rawCampaignId: unknown, rawOrderId: unknown) {
  const campaignId = parseId(rawCampaignId, 'campaignId');
  const orderId = parseId(rawOrderId, 'orderId');
  const campaign = await requireCampaign(prisma, campaignId);
  const { count } = await prisma.orderAttribution.deleteMany({ where: { campaignId, orderId } });
  if (count === 0) throw badUserInput(`orderId: order ${orderId} is not attributed to campaign ${campaignId}`, 'orderId');
  return campaign;
}
