import { connectDatabase, type Database } from '../lib/db';
import { encodeCursor } from '../lib/pagination';
import { createLoaders as customerLoaders } from '../subgraphs/customer/src/loaders';
import { PrismaClient as CustomerClient } from '../subgraphs/customer/src/generated/prisma/client';
import { createLoaders as marketingLoaders } from '../subgraphs/marketing/src/loaders';
import { PrismaClient as MarketingClient } from '../subgraphs/marketing/src/generated/prisma/client';
import { createLoaders as salesLoaders } from '../subgraphs/sales/src/loaders';
import { PrismaClient as SalesClient } from '../subgraphs/sales/src/generated/prisma/client';
import { startTestPlatform, type TestPlatform } from './harness';

// Nested lists are read with one raw statement for many parents, which Prisma does not map
// to the model: each page must hold exactly the rows, and the types (uuid, bigint, timestamp,
// date, enum), that Prisma's own reads return.
let platform: TestPlatform;
let customer: Database<CustomerClient>;
let sales: Database<SalesClient>;
let marketing: Database<MarketingClient>;

const newestFirst = [{ createdAt: 'desc' as const }, { id: 'desc' as const }];
const customerIds = ['0b0e7c1e-4a3f-4c1e-9f1a-2b3c4d5e6f71', '0b0e7c1e-4a3f-4c1e-9f1a-2b3c4d5e6f72'];
let campaignId: string;

beforeAll(async () => {
  platform = await startTestPlatform();
  customer = connectDatabase(CustomerClient, platform.databaseUrls.customer);
  sales = connectDatabase(SalesClient, platform.databaseUrls.sales);
  marketing = connectDatabase(MarketingClient, platform.databaseUrls.marketing);
  const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute, 30, 123));
  for (const [index, id] of customerIds.entries()) {
    await customer.prisma.customer.create({ data: { id, name: `Child pages ${index}` } });
    for (let n = 0; n < 3; n++) {
      await customer.prisma.contact.create({ data: { customerId: id, name: `Contact ${n}`, email: n ? null : 'c@example.com', createdAt: at(n) } });
      await customer.prisma.interaction.create({ data: { customerId: id, type: n ? 'CALL' : 'NOTE', subject: `Touch ${n}`, occurredAt: at(n) } });
      await sales.prisma.order.create({ data: { customerId: id, status: n ? 'PAID' : 'DRAFT', currency: 'EUR', totalMinor: 2n ** 60n + BigInt(n), createdAt: at(n) } });
      await sales.prisma.opportunity.create({
        data: { customerId: id, name: `Deal ${n}`, stage: n ? 'PROPOSAL' : 'CLOSED_WON', amountMinor: 10n ** 15n, currency: 'USD', probability: 40, expectedCloseDate: new Date('2026-03-31'), createdAt: at(n) },
      });
    }
  }
  const campaign = await marketing.prisma.campaign.create({ data: { name: 'Child pages', channel: 'EMAIL', budgetMinor: 100n, currency: 'EUR' } });
  campaignId = campaign.id;
  for (const [n, id] of customerIds.entries()) {
    await marketing.prisma.campaignMember.create({ data: { campaignId, customerId: id, status: n ? 'OPENED' : 'SENT', createdAt: at(n) } });
    await marketing.prisma.campaignResponse.create({ data: { campaignId, customerId: id, type: 'OPENED', occurredAt: at(n) } });
  }
});
afterAll(async () => {
  await Promise.all([customer, sales, marketing].map((database) => database?.close()));
  await platform?.stop();
});

describe('nested list pages', () => {
  it('hold what Prisma reads for contacts and interactions, by type and after a cursor', async () => {
    const loaders = customerLoaders(customer.prisma);
    const contacts = await customer.prisma.contact.findMany({ where: { customerId: customerIds[0] }, orderBy: newestFirst });
    expect(await loaders.contactsByCustomer({ first: 2 }).load(customerIds[0])).toStrictEqual({ rows: contacts.slice(0, 2), hasNextPage: true });
    const after = encodeCursor('Contact.createdAt:DESC', contacts[0].createdAt, contacts[0].id);
    expect(await loaders.contactsByCustomer({ first: 5, after }).load(customerIds[0])).toStrictEqual({ rows: contacts.slice(1), hasNextPage: false });
    const calls = await customer.prisma.interaction.findMany({ where: { customerId: customerIds[1], type: 'CALL' }, orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }] });
    expect(await loaders.interactionsByCustomer({ first: 5, type: 'CALL' }).load(customerIds[1])).toStrictEqual({ rows: calls, hasNextPage: false });
  });

  it('hold what Prisma reads for orders and opportunities, by status and stage', async () => {
    const loaders = salesLoaders(sales.prisma);
    const paid = await sales.prisma.order.findMany({ where: { customerId: customerIds[0], status: 'PAID' }, orderBy: newestFirst });
    expect(paid[0].totalMinor).toBe(2n ** 60n + 2n);
    expect(await loaders.ordersByCustomer({ first: 5, filter: ['PAID', 'FULFILLED'] }).load(customerIds[0])).toStrictEqual({ rows: paid, hasNextPage: false });
    const deals = await sales.prisma.opportunity.findMany({ where: { customerId: customerIds[1] }, orderBy: newestFirst });
    expect(await loaders.opportunitiesByCustomer({ first: 1, filter: null }).load(customerIds[1])).toStrictEqual({ rows: deals.slice(0, 1), hasNextPage: true });
  });

  it('hold what Prisma reads for campaign members, by status, and responses', async () => {
    const loaders = marketingLoaders(marketing.prisma);
    const opened = await marketing.prisma.campaignMember.findMany({ where: { campaignId, status: 'OPENED' } });
    expect(await loaders.membersByCampaign({ first: 5, status: 'OPENED' }).load(campaignId)).toStrictEqual({ rows: opened, hasNextPage: false });
    const responses = await marketing.prisma.campaignResponse.findMany({ where: { campaignId }, orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }] });
    expect(await loaders.responsesByCampaign({ first: 5 }).load(campaignId)).toStrictEqual({ rows: responses, hasNextPage: false });
  });
});
