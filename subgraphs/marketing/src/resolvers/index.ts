import { allLoaded } from '../../../../lib/loader-utils';
import { toMoney } from '../../../../lib/money';
import { pageSize, toChildConnection } from '../../../../lib/pagination';
import { scalarResolvers } from '../../../../lib/scalars';
import { parseId } from '../../../../lib/inputs';
import type { Resolvers } from '../generated/graphql';
import type { SegmentModel } from './models';
import { matchesSegment, recencyDays, rfmScore, usesAnalysis, type CustomerAttributes, type SegmentRules } from '../rules';
import * as service from '../service';

// A campaign deleted since the membership was read is no longer one the customer belongs to.
const present = <T>(values: (T | null)[]): T[] => values.filter((value): value is T => value !== null);

// What inputs.ts's segmentRules wrote to the column.
const rulesOf = (segment: SegmentModel) => segment.rules as SegmentRules;

export const resolvers = {
  ...scalarResolvers,
  Query: {
    campaign: (_, args, { loaders }) => loaders.campaign.load(parseId(args.id)),
    campaigns: (_, args, { prisma }) => service.listCampaigns(prisma, args),
    segment: (_, args, { loaders }) => loaders.segment.load(parseId(args.id)),
    segments: (_, args, { prisma }) => service.listSegments(prisma, args),
  },
  Mutation: {
    createSegment: (_, args, { prisma }) => service.createSegment(prisma, args.input),
    updateSegment: (_, args, { prisma }) => service.updateSegment(prisma, args.id, args.input),
    deleteSegment: (_, args, { prisma }) => service.deleteSegment(prisma, args.id),
    createCampaign: (_, args, { prisma }) => service.createCampaign(prisma, args.input),
    updateCampaign: (_, args, { prisma }) => service.updateCampaign(prisma, args.id, args.input),
    deleteCampaign: (_, args, { prisma }) => service.deleteCampaign(prisma, args.id),
    addCampaignMembers: (_, args, { prisma, peers }) => service.addCampaignMembers(prisma, peers, args.campaignId, args.customerIds),
    updateCampaignMemberStatus: (_, args, { prisma }) => service.updateMemberStatus(prisma, args.campaignId, args.customerId, args.status),
    removeCampaignMember: (_, args, { prisma }) => service.removeCampaignMember(prisma, args.campaignId, args.customerId),
    recordCampaignResponse: (_, args, { prisma, peers }) => service.recordResponse(prisma, peers, args.input),
    attributeOrder: (_, args, { prisma, peers }) => service.attributeOrder(prisma, peers, args.campaignId, args.orderId),
    removeOrderAttribution: (_, args, { prisma }) => service.removeOrderAttribution(prisma, args.campaignId, args.orderId),
    _holdCustomerInMarketing: (_, args, { prisma }) => service.holdCustomer(prisma, args.customerId, args.holdId),
    _holdOrderInMarketing: (_, args, { prisma, peers }) => service.holdOrder(prisma, peers, args.orderId, args.holdId),
    _releaseCustomerInMarketing: (_, args, { prisma }) => service.releaseCustomer(prisma, args.customerId, args.holdId),
    _releaseOrderInMarketing: (_, args, { prisma }) => service.releaseOrder(prisma, args.orderId, args.holdId),
  },
  Customer: {
    segments: async (customer, _, { loaders, allows }) => {
      // The gateway sends these with the representation, as the field's @requires asks.
      const attributes = customer as CustomerAttributes;
      // Matching an analysis rule would tell a caller who may not read rfm what it holds.
      const segments = (await loaders.allSegments.load('all')).filter((segment) => allows('Customer.rfm') || !usesAnalysis(rulesOf(segment)));
      const analysis = segments.some((segment) => usesAnalysis(rulesOf(segment))) ? await loaders.rfmByCustomer.load(customer.id) : [];
      const orders = analysis.map((row) => ({ ...row, score: rfmScore(row) }));
      const now = Date.now();
      return segments.filter((segment) => matchesSegment(rulesOf(segment), attributes, orders, now));
    },
    rfm: (customer, _, { loaders }) => loaders.rfmByCustomer.load(customer.id),
    campaigns: async (customer, _, { loaders }) =>
      present(allLoaded(await loaders.campaign.loadMany(await loaders.campaignIdsByCustomer.load(customer.id)))),
  },
  Segment: {
    __resolveReference: (ref, { loaders }) => loaders.segment.load(ref.id),
    rules: (segment) => rulesOf(segment),
    campaigns: (segment, _, { loaders }) => loaders.campaignsBySegment.load(segment.id),
  },
  SegmentRules: {
    minMonetary: (rules) => (rules.minMonetary ? toMoney(BigInt(rules.minMonetary.minorUnits), rules.minMonetary.currency) : null),
  },
  RfmAnalysis: {
    recencyDays: (row) => recencyDays(row.lastOrderAt, Date.now()),
    monetary: (row) => toMoney(row.monetaryMinor, row.currency),
    score: (row) => rfmScore(row),
  },
  Campaign: {
    __resolveReference: (ref, { loaders }) => loaders.campaign.load(ref.id),
    budget: (campaign) => toMoney(campaign.budgetMinor, campaign.currency),
    segment: (campaign, _, { loaders }) => (campaign.segmentId ? loaders.segment.load(campaign.segmentId) : null),
    members: async (campaign, args, { loaders }) => {
      const first = pageSize(args.first);
      const status = args.status ?? null;
      const page = await loaders.membersByCampaign({ first, after: args.after, status }).load(campaign.id);
      return toChildConnection('CampaignMember', page, 'createdAt', () => loaders.memberCountByCampaign(status).load(campaign.id));
    },
    responses: async (campaign, args, { loaders }) => {
      const first = pageSize(args.first);
      const page = await loaders.responsesByCampaign({ first, after: args.after }).load(campaign.id);
      return toChildConnection('CampaignResponse', page, 'occurredAt', () => loaders.responseCountByCampaign.load(campaign.id));
    },
    attributedOrderIds: (campaign, _, { loaders }) => loaders.orderIdsByCampaign.load(campaign.id),
    attributedOrders: async (campaign, _, { loaders }) => (await loaders.orderIdsByCampaign.load(campaign.id)).map((id) => ({ id })),
  },
  CampaignMember: {
    // Members and responses are deleted with their campaign (ON DELETE CASCADE).
    campaign: async (member, _, { loaders }) => (await loaders.campaign.load(member.campaignId))!,
    customer: (member) => ({ id: member.customerId }),
  },
  CampaignResponse: {
    campaign: async (response, _, { loaders }) => (await loaders.campaign.load(response.campaignId))!,
    customer: (response) => ({ id: response.customerId }),
  },
} satisfies Resolvers;
