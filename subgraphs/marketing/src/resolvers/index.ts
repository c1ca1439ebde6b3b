import { allLoaded } from '../../../../lib/loader-utils';
import { toMoney } from '../../../../lib/money';
import { pageSize, toChildConnection } from '../../../../lib/pagination';
import { scalarResolvers } from '../../../../lib/scalars';
import { parseId } from '../../../../lib/inputs';
import type { Campaign, CampaignMember, CampaignResponse, Segment } from '../generated/prisma/client';
import type { MarketingContext } from '../server';
import { matchesSegment, type CustomerAttributes, type SegmentRules } from '../rules';
import * as service from '../service';

type Ref = { id: string };
type ChildArgs = { first?: number | null; after?: string | null };
type MemberRef = { campaignId: unknown; customerId: unknown };

// A campaign deleted since the membership was read is no longer one the customer belongs to.
const present = <T>(values: (T | null)[]): T[] => values.filter((value): value is T => value !== null);

export const resolvers = {
  ...scalarResolvers,
  Query: {
    campaign: (_: unknown, args: Ref, { loaders }: MarketingContext) => loaders.campaign.load(parseId(args.id)),
    campaigns: (_: unknown, args: Parameters<typeof service.listCampaigns>[1], { prisma }: MarketingContext) => service.listCampaigns(prisma, args),
    segment: (_: unknown, args: Ref, { loaders }: MarketingContext) => loaders.segment.load(parseId(args.id)),
    segments: (_: unknown, args: ChildArgs, { prisma }: MarketingContext) => service.listSegments(prisma, args),
  },
  Mutation: {
    createSegment: (_: unknown, args: { input: unknown }, { prisma }: MarketingContext) => service.createSegment(prisma, args.input),
    updateSegment: (_: unknown, args: { id: unknown; input: unknown }, { prisma }: MarketingContext) => service.updateSegment(prisma, args.id, args.input),
    deleteSegment: (_: unknown, args: Ref, { prisma }: MarketingContext) => service.deleteSegment(prisma, args.id),
    createCampaign: (_: unknown, args: { input: unknown }, { prisma }: MarketingContext) => service.createCampaign(prisma, args.input),
    updateCampaign: (_: unknown, args: { id: unknown; input: unknown }, { prisma }: MarketingContext) =>
      service.updateCampaign(prisma, args.id, args.input),
    deleteCampaign: (_: unknown, args: Ref, { prisma }: MarketingContext) => service.deleteCampaign(prisma, args.id),
    addCampaignMembers: (_: unknown, args: { campaignId: unknown; customerIds: unknown }, { prisma, peers }: MarketingContext) =>
      service.addCampaignMembers(prisma, peers, args.campaignId, args.customerIds),
    updateCampaignMemberStatus: (_: unknown, args: MemberRef & { status: unknown }, { prisma }: MarketingContext) =>
      service.updateMemberStatus(prisma, args.campaignId, args.customerId, args.status),
    removeCampaignMember: (_: unknown, args: MemberRef, { prisma }: MarketingContext) =>
      service.removeCampaignMember(prisma, args.campaignId, args.customerId),
    recordCampaignResponse: (_: unknown, args: { input: unknown }, { prisma }: MarketingContext) => service.recordResponse(prisma, args.input),
    attributeOrder: (_: unknown, args: { campaignId: unknown; orderId: unknown }, { prisma, peers }: MarketingContext) =>
      service.attributeOrder(prisma, peers, args.campaignId, args.orderId),
    removeOrderAttribution: (_: unknown, args: { campaignId: unknown; orderId: unknown }, { prisma }: MarketingContext) =>
      service.removeOrderAttribution(prisma, args.campaignId, args.orderId),
  },
  Customer: {
    segments: async (customer: Ref & CustomerAttributes, _: unknown, { loaders }: MarketingContext) =>
      (await loaders.allSegments.load('all')).filter((segment) => matchesSegment(segment.rules as SegmentRules, customer)),
    campaigns: async (customer: Ref, _: unknown, { loaders }: MarketingContext) =>
      present(allLoaded(await loaders.campaign.loadMany(await loaders.campaignIdsByCustomer.load(customer.id)))),
  },
  Segment: {
    __resolveReference: (ref: Ref, { loaders }: MarketingContext) => loaders.segment.load(ref.id),
    campaigns: (segment: Segment, _: unknown, { loaders }: MarketingContext) => loaders.campaignsBySegment.load(segment.id),
  },
  Campaign: {
    __resolveReference: (ref: Ref, { loaders }: MarketingContext) => loaders.campaign.load(ref.id),
    budget: (campaign: Campaign) => toMoney(campaign.budgetMinor, campaign.currency),
    segment: (campaign: Campaign, _: unknown, { loaders }: MarketingContext) => (campaign.segmentId ? loaders.segment.load(campaign.segmentId) : null),
    members: async (campaign: Campaign, args: ChildArgs & { status?: string | null }, { loaders }: MarketingContext) => {
      const first = pageSize(args.first);
      const status = args.status ?? null;
      const page = await loaders.membersByCampaign({ first, after: args.after, status }).load(campaign.id);
      return toChildConnection('CampaignMember', page, 'createdAt', () => loaders.memberCountByCampaign(status).load(campaign.id));
    },
    responses: async (campaign: Campaign, args: ChildArgs, { loaders }: MarketingContext) => {
      const first = pageSize(args.first);
      const page = await loaders.responsesByCampaign({ first, after: args.after }).load(campaign.id);
      return toChildConnection('CampaignResponse', page, 'occurredAt', () => loaders.responseCountByCampaign.load(campaign.id));
    },
    attributedOrderIds: (campaign: Campaign, _: unknown, { loaders }: MarketingContext) => loaders.orderIdsByCampaign.load(campaign.id),
    attributedOrders: async (campaign: Campaign, _: unknown, { loaders }: MarketingContext) =>
      (await loaders.orderIdsByCampaign.load(campaign.id)).map((id) => ({ id })),
  },
  CampaignMember: {
    campaign: (member: CampaignMember, _: unknown, { loaders }: MarketingContext) => loaders.campaign.load(member.campaignId),
    customer: (member: CampaignMember) => ({ id: member.customerId }),
  },
  CampaignResponse: {
    campaign: (response: CampaignResponse, _: unknown, { loaders }: MarketingContext) => loaders.campaign.load(response.campaignId),
    customer: (response: CampaignResponse) => ({ id: response.customerId }),
  },
};
