import DataLoader from 'dataloader';
import { countsInKeyOrder, groupedInKeyOrder, inKeyOrder, perArguments, validIds } from '../../../lib/loader-utils';
import { childPagesByParent, sortColumn, type ChildColumn, type ChildList, type ChildPage } from '../../../lib/pagination';
import { Prisma, type Campaign, type CampaignMember, type CampaignResponse, type PrismaClient, type Segment } from './generated/prisma/client';

const MEMBERS: ChildList<CampaignMember> = {
  model: Prisma.ModelName.CampaignMember,
  columns: Prisma.CampaignMemberScalarFieldEnum,
  parent: 'campaignId',
  sort: sortColumn('createdAt', 'date'),
};
const RESPONSES: ChildList<CampaignResponse> = {
  model: Prisma.ModelName.CampaignResponse,
  columns: Prisma.CampaignResponseScalarFieldEnum,
  parent: 'campaignId',
  sort: sortColumn('occurredAt', 'date'),
};

// One currency of a customer's analysis (RfmAnalysis in the schema).
export type RfmAnalysisRow = {
  customerId: string;
  currency: string;
  frequency: number;
  monetaryMinor: bigint;
  lastOrderAt: Date;
  recencyScore: number;
  frequencyScore: number;
  monetaryScore: number;
};

// Created once per request in the context function, so no cached row crosses requests.
export function createLoaders(prisma: PrismaClient) {
  return {
    campaign: new DataLoader<string, Campaign | null>(async (ids) =>
      inKeyOrder(await prisma.campaign.findMany({ where: { id: { in: validIds(ids) } } }), ids),
    ),
    segment: new DataLoader<string, Segment | null>(async (ids) =>
      inKeyOrder(await prisma.segment.findMany({ where: { id: { in: validIds(ids) } } }), ids),
    ),
    // Segments are few (tens, not thousands), so every customer is matched against all of them.
    allSegments: new DataLoader<'all', Segment[]>(async (keys) => {
      const segments = await prisma.segment.findMany({ orderBy: [{ name: 'asc' }] });
      return keys.map(() => segments);
    }),
    campaignsBySegment: new DataLoader<string, Campaign[]>(async (segmentIds) =>
      groupedInKeyOrder(
        await prisma.campaign.findMany({ where: { segmentId: { in: [...segmentIds] } }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
        segmentIds,
        (campaign) => campaign.segmentId!,
      ),
    ),
    campaignIdsByCustomer: new DataLoader<string, string[]>(async (customerIds) => {
      const members = await prisma.campaignMember.findMany({
        where: { customerId: { in: validIds(customerIds) } },
        select: { customerId: true, campaignId: true },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      });
      return groupedInKeyOrder(members, customerIds, (member) => member.customerId).map((rows) => rows.map((row) => row.campaignId));
    }),
    // An attribution of an order marketing knows was deleted is left out, so the campaign's
    // other orders are still read (sales would answer the deleted one with null). Deleting an
    // attributed order is refused, so this only guards against rows from before that rule.
    orderIdsByCampaign: new DataLoader<string, string[]>(async (campaignIds) => {
      const attributions = await prisma.$queryRaw<{ campaignId: string; orderId: string }[]>`
        SELECT a."campaignId"::text, a."orderId"::text FROM "OrderAttribution" a
        WHERE a."campaignId" = ANY(${[...campaignIds]}::uuid[])
          AND NOT EXISTS (SELECT 1 FROM "OrderFact" f WHERE f."orderId" = a."orderId" AND f."deleted")
        ORDER BY a."createdAt", a."id"`;
      return groupedInKeyOrder(attributions, campaignIds, (row) => row.campaignId).map((rows) => rows.map((row) => row.orderId));
    }),
    // RFM scores are quintiles among every customer with orders in the currency, so they are
    // ranked when read (an order moves other customers' scores); ties go by customer id, so
    // the same statistics always give the same scores.
    rfmByCustomer: new DataLoader<string, RfmAnalysisRow[]>(async (customerIds) => {
      const ids = validIds(customerIds);
      const rows = await prisma.$queryRaw<RfmAnalysisRow[]>`
        SELECT "customerId", "currency", "frequency", "monetaryMinor", "lastOrderAt", "recencyScore"::int, "frequencyScore"::int, "monetaryScore"::int FROM (
          SELECT s."customerId"::text AS "customerId", s."currency"::text AS "currency", s."frequency", s."monetaryMinor", s."lastOrderAt",
                 ntile(5) OVER (PARTITION BY s."currency" ORDER BY s."lastOrderAt", s."customerId") AS "recencyScore",
                 ntile(5) OVER (PARTITION BY s."currency" ORDER BY s."frequency", s."customerId") AS "frequencyScore",
                 ntile(5) OVER (PARTITION BY s."currency" ORDER BY s."monetaryMinor", s."customerId") AS "monetaryScore"
          FROM "CustomerOrderStatistics" s
          WHERE s."currency" IN (SELECT "currency" FROM "CustomerOrderStatistics" WHERE "customerId" = ANY(${ids}::uuid[]))
        ) ranked
        WHERE "customerId" = ANY(${ids}::text[])
        ORDER BY "currency"`;
      return groupedInKeyOrder(rows, customerIds, (row) => row.customerId);
    }),
    membersByCampaign: perArguments(
      ({ status, ...page }: ChildPage & { status: string | null }) =>
        new DataLoader(async (campaignIds: readonly string[]) => {
          const ofStatus = status ? (column: ChildColumn<CampaignMember>) => Prisma.sql`${column('status')}::text = ${status}` : undefined;
          const pages = await childPagesByParent(prisma, MEMBERS, campaignIds, page, ofStatus);
          return campaignIds.map((campaignId) => pages.get(campaignId)!);
        }),
    ),
    memberCountByCampaign: perArguments(
      (status: string | null) =>
        new DataLoader(async (campaignIds: readonly string[]) =>
          countsInKeyOrder(
            await prisma.campaignMember.groupBy({
              by: ['campaignId'],
              where: { campaignId: { in: [...campaignIds] }, ...(status ? { status: status as CampaignMember['status'] } : {}) },
              _count: { _all: true },
            }),
            campaignIds,
            (row) => row.campaignId,
          ),
        ),
    ),
    responsesByCampaign: perArguments(
      (page: ChildPage) =>
        new DataLoader(async (campaignIds: readonly string[]) => {
          const pages = await childPagesByParent(prisma, RESPONSES, campaignIds, page);
          return campaignIds.map((campaignId) => pages.get(campaignId)!);
        }),
    ),
    responseCountByCampaign: new DataLoader(async (campaignIds: readonly string[]) =>
      countsInKeyOrder(
        await prisma.campaignResponse.groupBy({ by: ['campaignId'], where: { campaignId: { in: [...campaignIds] } }, _count: { _all: true } }),
        campaignIds,
        (row) => row.campaignId,
      ),
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
