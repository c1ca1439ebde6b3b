import { randomUUID } from 'node:crypto';
import { PrismaClient as CustomerClient } from '../subgraphs/customer/src/generated/prisma/client';
import { PrismaClient as MarketingClient } from '../subgraphs/marketing/src/generated/prisma/client';
import { PrismaClient as SalesClient } from '../subgraphs/sales/src/generated/prisma/client';
import type { SubgraphName } from './config';
import { connectDatabase } from './db';

// Demo data for a new installation. It writes to the three databases directly because it is
// an operator's tool run before the services take traffic, not a service itself.
export type SeedSize = { customers: number; ordersPerCustomer: number };
export const DEMO_SIZE: SeedSize = { customers: 600, ordersPerCustomer: 5 };

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Radia', 'Linus', 'Frances', 'John'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson', 'Perlman', 'Torvalds', 'Allen', 'Backus'];
const COMPANIES = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark', 'Wayne', 'Wonka', 'Tyrell', 'Cyberdyne'];
const TAGS = ['vip', 'newsletter', 'enterprise', 'smb', 'partner', 'trial', 'renewal'];
const STATUSES = ['LEAD', 'PROSPECT', 'ACTIVE', 'CHURNED'] as const;
const ORDER_STATUSES = ['DRAFT', 'PLACED', 'PAID', 'FULFILLED', 'CANCELLED'] as const;
const STAGES = ['PROSPECTING', 'QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'CLOSED_WON', 'CLOSED_LOST'] as const;
const CHANNELS = ['EMAIL', 'SMS', 'SOCIAL', 'SEARCH', 'DISPLAY', 'EVENT'] as const;
const DAY = 86_400_000;

// Shared with the benchmark's bulk loader, so both show the same segments.
export const DEMO_SEGMENTS = [
  { name: 'VIP customers', rules: { tagsAny: ['vip'] } },
  { name: 'Active organisations', rules: { kinds: ['ORGANIZATION'], statuses: ['ACTIVE'] } },
  { name: 'Open leads', rules: { statuses: ['LEAD', 'PROSPECT'] } },
  { name: 'Churned', rules: { statuses: ['CHURNED'] } },
  { name: 'Enterprise renewals', rules: { tagsAll: ['enterprise', 'renewal'] } },
  { name: 'Acme and Globex', rules: { companies: ['Acme', 'Globex'] } },
];

const RESPONSE_OF_STATUS: Partial<Record<string, 'OPENED' | 'CLICKED' | 'REPLIED'>> = { OPENED: 'OPENED', CLICKED: 'CLICKED', RESPONDED: 'REPLIED' };

// A fixed-seed generator so every installation shows the same demo.
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (max: number) => Math.floor(next() * max), pick: <T>(values: readonly T[]) => values[Math.floor(next() * values.length)] };
}

async function inChunks<T>(rows: T[], write: (chunk: T[]) => Promise<unknown>, size = 2_000) {
  for (let start = 0; start < rows.length; start += size) await write(rows.slice(start, start + size));
}

export async function isSeeded(customerDatabaseUrl: string): Promise<boolean> {
  const customers = connectDatabase(CustomerClient, customerDatabaseUrl);
  try {
    return (await customers.prisma.customer.count()) > 0;
  } finally {
    await customers.close();
  }
}

// The tables seedDemoData fills, one progress step each.
const SEED_STEPS = 12;

export async function seedDemoData(urls: Record<SubgraphName, string>, size: SeedSize = DEMO_SIZE, onProgress: (done: number, total: number) => void = () => {}): Promise<void> {
  let done = 0;
  const write = async <T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>, chunkSize?: number) => {
    await inChunks(rows, insert, chunkSize);
    onProgress(++done, SEED_STEPS);
  };
  const rnd = random(42);
  const now = Date.now();
  const databases = [connectDatabase(CustomerClient, urls.customer), connectDatabase(SalesClient, urls.sales), connectDatabase(MarketingClient, urls.marketing)] as const;
  const [customerDb, salesDb, marketingDb] = [databases[0].prisma, databases[1].prisma, databases[2].prisma];
  try {
    const customers = Array.from({ length: size.customers }, (_, index) => {
      const organisation = index % 3 === 0;
      const company = rnd.pick(COMPANIES);
      const name = organisation ? `${company} ${['Ltd', 'Inc', 'GmbH', 'Labs'][index % 4]} ${index}` : `${rnd.pick(FIRST)} ${rnd.pick(LAST)}`;
      return {
        id: randomUUID(),
        kind: organisation ? ('ORGANIZATION' as const) : ('PERSON' as const),
        name,
        email: `customer${index}@${company.toLowerCase()}.example`,
        phone: `+1 555 ${String(1000 + (index % 9000)).padStart(4, '0')}`,
        company,
        status: rnd.pick(STATUSES),
        ownerId: `user-${1 + rnd.int(5)}`,
        tags: TAGS.filter(() => rnd.next() < 0.25),
        createdAt: new Date(now - rnd.int(720) * DAY - index),
      };
    });
    await write(customers, (data) => customerDb.customer.createMany({ data }));
    const organisations = customers.filter((customer) => customer.kind === 'ORGANIZATION');
    await write(
      organisations.flatMap((customer) =>
        [0, 1].map((n) => ({ customerId: customer.id, name: `${rnd.pick(FIRST)} ${rnd.pick(LAST)}`, title: n ? 'Buyer' : 'CTO', email: `contact${n}.${customer.email}` })),
      ),
      (data) => customerDb.contact.createMany({ data }),
    );
    await write(
      customers.flatMap((customer) =>
        Array.from({ length: 1 + rnd.int(4) }, (_, n) => ({
          customerId: customer.id,
          type: rnd.pick(['CALL', 'EMAIL', 'MEETING', 'NOTE'] as const),
          subject: `Touchpoint ${n + 1} with ${customer.name}`,
          occurredAt: new Date(now - rnd.int(365) * DAY),
        })),
      ),
      (data) => customerDb.interaction.createMany({ data }),
    );

    const products = Array.from({ length: 40 }, (_, index) => ({
      id: randomUUID(),
      sku: `SKU-${String(index + 1).padStart(4, '0')}`,
      name: `${['Starter', 'Team', 'Business', 'Enterprise'][index % 4]} ${['Licence', 'Support', 'Training', 'Add-on', 'Hardware'][index % 5]} ${index + 1}`,
      priceMinor: BigInt(500 + rnd.int(200_000)),
      currency: 'USD',
    }));
    await write(products, (data) => salesDb.product.createMany({ data }));
    const orders: { id: string; customerId: string; status: (typeof ORDER_STATUSES)[number]; currency: string; totalMinor: bigint; placedAt: Date | null; createdAt: Date }[] = [];
    const items: { orderId: string; line: number; productId: string; quantity: number; unitPriceMinor: bigint }[] = [];
    for (const customer of customers) {
      const count = rnd.int(size.ordersPerCustomer * 2 + 1);
      for (let n = 0; n < count; n++) {
        const orderId = randomUUID();
        let totalMinor = 0n;
        for (let line = 0; line < 1 + rnd.int(4); line++) {
          const product = rnd.pick(products);
          const quantity = 1 + rnd.int(5);
          items.push({ orderId, line: line + 1, productId: product.id, quantity, unitPriceMinor: product.priceMinor });
          totalMinor += product.priceMinor * BigInt(quantity);
        }
        const status = rnd.pick(ORDER_STATUSES);
        const createdAt = new Date(now - rnd.int(540) * DAY - n);
        orders.push({ id: orderId, customerId: customer.id, status, currency: 'USD', totalMinor, placedAt: status === 'DRAFT' ? null : createdAt, createdAt });
      }
    }
    await write(orders, (data) => salesDb.order.createMany({ data }));
    await write(items, (data) => salesDb.orderItem.createMany({ data }), 5_000);
    await write(
      customers
        .filter(() => rnd.next() < 0.6)
        .map((customer) => ({
          customerId: customer.id,
          name: `${customer.company} ${rnd.pick(['renewal', 'expansion', 'pilot', 'upgrade'])}`,
          stage: rnd.pick(STAGES),
          amountMinor: BigInt(100_000 + rnd.int(5_000_000)),
          currency: 'USD',
          probability: rnd.int(101),
          expectedCloseDate: new Date(Math.floor((now + (rnd.int(180) - 30) * DAY) / DAY) * DAY),
          ownerId: customer.ownerId,
        })),
      (data) => salesDb.opportunity.createMany({ data }),
    );

    const segments = DEMO_SEGMENTS.map((segment) => ({ id: randomUUID(), description: `Demo segment: ${segment.name}`, ...segment }));
    await write(segments, (data) => marketingDb.segment.createMany({ data }));
    const campaigns = Array.from({ length: 8 }, (_, index) => ({
      id: randomUUID(),
      name: `${['Spring', 'Summer', 'Autumn', 'Winter'][index % 4]} ${CHANNELS[index % CHANNELS.length].toLowerCase()} push ${2026 + Math.floor(index / 4)}`,
      channel: CHANNELS[index % CHANNELS.length],
      status: (['COMPLETED', 'ACTIVE', 'PAUSED', 'SCHEDULED', 'DRAFT'] as const)[index % 5],
      budgetMinor: BigInt(1_000_000 + rnd.int(9_000_000)),
      currency: 'USD',
      startsAt: new Date(now - (90 - index * 20) * DAY),
      endsAt: new Date(now + (index * 15 + 10) * DAY),
      segmentId: segments[index % segments.length].id,
    }));
    await write(campaigns, (data) => marketingDb.campaign.createMany({ data }));
    const members = campaigns.flatMap((campaign) =>
      customers
        .filter(() => rnd.next() < 0.2)
        .map((customer) => ({ campaignId: campaign.id, customerId: customer.id, status: rnd.pick(['TARGETED', 'SENT', 'OPENED', 'CLICKED', 'RESPONDED'] as const) })),
    );
    await write(members, (data) => marketingDb.campaignMember.createMany({ data }));
    await write(
      members
        .flatMap((member) => {
          const type = RESPONSE_OF_STATUS[member.status];
          return type ? [{ campaignId: member.campaignId, customerId: member.customerId, type }] : [];
        }),
      (data) => marketingDb.campaignResponse.createMany({ data }),
    );
    const ordersByCustomer = new Map<string, string[]>();
    for (const order of orders) ordersByCustomer.set(order.customerId, [...(ordersByCustomer.get(order.customerId) ?? []), order.id]);
    await write(
      members
        .filter((member) => rnd.next() < 0.3 && ordersByCustomer.has(member.customerId))
        .map((member) => ({ campaignId: member.campaignId, customerId: member.customerId, orderId: rnd.pick(ordersByCustomer.get(member.customerId)!) })),
      (data) => marketingDb.orderAttribution.createMany({ data, skipDuplicates: true }),
    );
  } finally {
    await Promise.all(databases.map((database) => database.close()));
  }
}
