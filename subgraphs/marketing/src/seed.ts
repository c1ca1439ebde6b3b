import { randomUUID } from 'node:crypto';
import { DAY_MS, inChunks, withDatabase, type DemoCustomer, type DemoOrder, type SubgraphSeed } from '../../../lib/demo-seed';
import { CampaignChannel, CampaignStatus, MemberStatus, ResponseType } from './generated/prisma/enums';
import { CustomerKind, LifecycleStatus } from './generated/graphql';
import { PrismaClient } from './generated/prisma/client';
import { fillStatistics } from './analysis';
import type { SegmentRules } from './rules';

// The segments, campaign states and member progress are shared with the benchmark's bulk
// loader (bench/data.ts), so both show the same kind of demo.
export const DEMO_SEGMENTS = [
  { name: 'VIP customers', rules: { tagsAny: ['vip'] } },
  { name: 'Active organisations', rules: { kinds: [CustomerKind.ORGANIZATION], statuses: [LifecycleStatus.ACTIVE] } },
  { name: 'Open leads', rules: { statuses: [LifecycleStatus.LEAD, LifecycleStatus.PROSPECT] } },
  { name: 'Churned', rules: { statuses: [LifecycleStatus.CHURNED] } },
  { name: 'Enterprise renewals', rules: { tagsAll: ['enterprise', 'renewal'] } },
  { name: 'Acme and Globex', rules: { companies: ['Acme', 'Globex'] } },
  { name: 'Ordered this quarter', rules: { orderedWithinDays: 90 } },
  { name: 'Spent 10,000 USD', rules: { minMonetary: { currency: 'USD', minorUnits: '1000000' } } },
  { name: 'Champions (RFM)', rules: { rfmScores: ['555', '554', '545', '455'] } },
] satisfies { name: string; rules: SegmentRules }[];

// Demo members get only as far as a response; responses are recorded for the last three steps.
export const MEMBER_PROGRESS = [MemberStatus.TARGETED, MemberStatus.SENT, MemberStatus.OPENED, MemberStatus.CLICKED, MemberStatus.RESPONDED];
export const RESPONSE_OF_STATUS: Partial<Record<MemberStatus, ResponseType>> = { OPENED: ResponseType.OPENED, CLICKED: ResponseType.CLICKED, RESPONDED: ResponseType.REPLIED };
// One campaign in each state, the finished ones first.
export const CAMPAIGN_STATUSES = [CampaignStatus.COMPLETED, CampaignStatus.ACTIVE, CampaignStatus.PAUSED, CampaignStatus.SCHEDULED, CampaignStatus.DRAFT];

// The customers (customer subgraph) and orders (sales subgraph) campaigns reach and earn, with
// the state their events would carry: the seeds write no events, so marketing's read models of
// them (KnownCustomer, OrderFact and the analysis) are filled from these.
export const demoSeed: SubgraphSeed<{ customers: DemoCustomer[]; orders: DemoOrder[] }, object> = {
  steps: 7,
  hasData: (databaseUrl) => withDatabase(PrismaClient, databaseUrl, async (prisma) => (await prisma.segment.count()) > 0),
  async seed(databaseUrl, { random, now, tableWritten }, { customers, orders }) {
    const channels = Object.values(CampaignChannel);
    return withDatabase(PrismaClient, databaseUrl, async (prisma) => {
      await inChunks(
        customers.map(({ id, kind, status, ownerId, archived }) => ({ id, kind, status, ownerId, archived })),
        (data) => prisma.knownCustomer.createMany({ data }),
      );
      tableWritten();
      await inChunks(
        orders.map(({ id, customerId, status, currency, totalMinor, placedAt, createdAt }) => ({ orderId: id, customerId, status, currency, totalMinor, placedAt, createdAt })),
        (data) => prisma.orderFact.createMany({ data }),
      );
      await fillStatistics(prisma);
      tableWritten();
      const segments = DEMO_SEGMENTS.map((segment) => ({ id: randomUUID(), description: `Demo segment: ${segment.name}`, ...segment }));
      await inChunks(segments, (data) => prisma.segment.createMany({ data }));
      tableWritten();
      const campaigns = Array.from({ length: 8 }, (_, index) => ({
        id: randomUUID(),
        name: `${['Spring', 'Summer', 'Autumn', 'Winter'][index % 4]} ${channels[index % channels.length].toLowerCase()} push ${2026 + Math.floor(index / 4)}`,
        channel: channels[index % channels.length],
        status: CAMPAIGN_STATUSES[index % CAMPAIGN_STATUSES.length],
        budgetMinor: BigInt(1_000_000 + random.int(9_000_000)),
        currency: 'USD',
        startsAt: new Date(now - (90 - index * 20) * DAY_MS),
        endsAt: new Date(now + (index * 15 + 10) * DAY_MS),
        segmentId: segments[index % segments.length].id,
      }));
      await inChunks(campaigns, (data) => prisma.campaign.createMany({ data }));
      tableWritten();
      const members = campaigns.flatMap((campaign) =>
        customers.filter(() => random.next() < 0.2).map((customer) => ({ campaignId: campaign.id, customerId: customer.id, status: random.pick(MEMBER_PROGRESS) })),
      );
      await inChunks(members, (data) => prisma.campaignMember.createMany({ data }));
      tableWritten();
      await inChunks(
        members.flatMap((member) => {
          const type = RESPONSE_OF_STATUS[member.status];
          return type ? [{ campaignId: member.campaignId, customerId: member.customerId, type }] : [];
        }),
        (data) => prisma.campaignResponse.createMany({ data }),
      );
      tableWritten();
      const ordersByCustomer = new Map<string, string[]>();
      for (const order of orders) ordersByCustomer.set(order.customerId, [...(ordersByCustomer.get(order.customerId) ?? []), order.id]);
      await inChunks(
        members
          .filter((member) => random.next() < 0.3 && ordersByCustomer.has(member.customerId))
          .map((member) => ({ campaignId: member.campaignId, customerId: member.customerId, orderId: random.pick(ordersByCustomer.get(member.customerId)!) })),
        (data) => prisma.orderAttribution.createMany({ data, skipDuplicates: true }),
      );
      tableWritten();
      return {};
    });
  },
};
