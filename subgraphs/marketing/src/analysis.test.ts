import { randomUUID } from 'node:crypto';
import { DAY_MS } from '../../../lib/demo-seed';
import { connectDatabase, type Database } from '../../../lib/db';
import { EVENT_CATALOG, type EventData, type EventType } from '../../../lib/events/catalog';
import { applyOnce } from '../../../lib/events/consumer';
import type { EventEnvelope } from '../../../lib/events/envelope';
import type { EventDatabase } from '../../../lib/events/relay';
import { expectNoErrors, startTestPlatform, type TestPlatform } from '../../../test/harness';
import { marketingOrders, rebuildAnalysis } from './analysis';
import { PrismaClient } from './generated/prisma/client';

// The customer analysis from sales' order events: OrderFact and the per-currency statistics,
// RFM scores and segment rules on them, and the rebuild that replays the stream.

let platform: TestPlatform;
let database: Database<PrismaClient>;
const NOW = Date.now();

function envelope<T extends EventType>(type: T, aggregateId: string, sequence: number, data: EventData<T>): EventEnvelope {
  return { id: randomUUID(), type, version: EVENT_CATALOG[type].version, source: 'sales', aggregateType: EVENT_CATALOG[type].aggregateType, aggregateId, sequence, occurredAt: new Date().toISOString(), data };
}

type OrderStatus = EventData<'order.created'>['status'];

// Order events as sales writes them, for an order of the customer placed daysAgo.
function orderEvents(customerId: string, { currency, totalMinor, daysAgo, statuses }: { currency: string; totalMinor: string; daysAgo: number; statuses: OrderStatus[] }) {
  const orderId = randomUUID();
  const placedAt = new Date(NOW - daysAgo * DAY_MS).toISOString();
  const createdAt = new Date(NOW - daysAgo * DAY_MS - 60_000).toISOString();
  return statuses.map((status, index) =>
    index === 0
      ? envelope('order.created', orderId, 1, { customerId, status, currency, totalMinor, placedAt: status === 'DRAFT' ? null : placedAt, createdAt })
      : envelope('order.status-changed', orderId, index + 1, { customerId, status, previousStatus: statuses[index - 1], currency, totalMinor, placedAt, createdAt }),
  );
}

// Through the broker, as the relay publishes what sales commits; the consumer applies them.
async function deliver(events: EventEnvelope[]): Promise<void> {
  for (const event of events) await platform.subgraphs.marketing.events.transport.publish(event);
  await platform.settled();
}

async function newCustomer(name: string, tags: string[] = []): Promise<string> {
  const created = await platform.gql('mutation ($name: String!, $tags: [String!]) { createCustomer(input: { name: $name, tags: $tags, status: ACTIVE }) { id } }', { name, tags });
  expectNoErrors(created);
  return created.body.data!.createCustomer.id;
}

type Statistics = { customerId: string; currency: string; frequency: number; monetaryMinor: string; lastOrderAt: Date };

const statisticsOf = (customerIds: string[]) =>
  platform.sql<Statistics>(
    'marketing',
    'SELECT "customerId"::text, currency, frequency, "monetaryMinor"::text, "lastOrderAt" FROM "CustomerOrderStatistics" WHERE "customerId" = ANY($1::uuid[]) ORDER BY "customerId", currency',
    [customerIds],
  );

// The whole read model, as the rebuild must give it back.
async function readModel() {
  await platform.settled();
  return {
    orders: await platform.sql('marketing', 'SELECT "orderId"::text, "customerId"::text, status, currency, "totalMinor"::text, "placedAt", "createdAt", deleted, sequence FROM "OrderFact" ORDER BY "orderId"'),
    statistics: await platform.sql('marketing', 'SELECT "customerId"::text, currency, frequency, "monetaryMinor"::text, "lastOrderAt" FROM "CustomerOrderStatistics" ORDER BY "customerId", currency'),
  };
}

const RFM = '{ currency recencyDays lastOrderAt frequency monetary { amount currency minorUnits } recencyScore frequencyScore monetaryScore score }';

beforeAll(async () => {
  platform = await startTestPlatform();
  database = connectDatabase(PrismaClient, platform.databaseUrls.marketing);
}, 120_000);

afterAll(async () => {
  await database?.close();
  await platform?.stop();
});

describe('order statistics from order events', () => {
  it('counts placed, paid and fulfilled orders that were not deleted, per currency', async () => {
    const customerId = randomUUID();
    const deleted = orderEvents(customerId, { currency: 'USD', totalMinor: '7000', daysAgo: 1, statuses: ['PLACED'] });
    await deliver([
      ...orderEvents(customerId, { currency: 'USD', totalMinor: '1000', daysAgo: 30, statuses: ['PLACED'] }),
      ...orderEvents(customerId, { currency: 'USD', totalMinor: '2500', daysAgo: 10, statuses: ['DRAFT', 'PLACED', 'PAID', 'FULFILLED'] }),
      ...orderEvents(customerId, { currency: 'USD', totalMinor: '9999', daysAgo: 5, statuses: ['DRAFT'] }),
      ...orderEvents(customerId, { currency: 'USD', totalMinor: '8888', daysAgo: 2, statuses: ['PLACED', 'CANCELLED'] }),
      ...orderEvents(customerId, { currency: 'EUR', totalMinor: '300', daysAgo: 100, statuses: ['PAID'] }),
      ...deleted,
      envelope('order.deleted', deleted[0].aggregateId, 2, { holdId: randomUUID(), customerId }),
    ]);
    expect(await statisticsOf([customerId])).toEqual([
      { customerId, currency: 'EUR', frequency: 1, monetaryMinor: '300', lastOrderAt: new Date(NOW - 100 * DAY_MS) },
      { customerId, currency: 'USD', frequency: 2, monetaryMinor: '3500', lastOrderAt: new Date(NOW - 10 * DAY_MS) },
    ]);
  });

  it('ends the same whatever order the events arrive in, and an event applied twice counts once', async () => {
    const permutations = [
      [0, 1, 2, 3, 4],
      [4, 3, 2, 1, 0],
      [2, 4, 0, 3, 1],
      [1, 0, 4, 2, 3],
    ];
    const outcomes = [];
    for (const permutation of permutations) {
      const customerId = randomUUID();
      const paid = orderEvents(customerId, { currency: 'USD', totalMinor: '1200', daysAgo: 3, statuses: ['DRAFT', 'PLACED', 'PAID'] });
      const removed = orderEvents(customerId, { currency: 'USD', totalMinor: '500', daysAgo: 4, statuses: ['PLACED'] });
      const events = [...paid, ...removed, envelope('order.deleted', removed[0].aggregateId, 2, { holdId: randomUUID(), customerId })];
      await deliver(permutation.map((index) => events[index]));
      expect(await applyOnce(database.prisma as unknown as EventDatabase, marketingOrders, events[1])).toBe(false);
      const facts = await platform.sql('marketing', 'SELECT status, "totalMinor"::text AS "totalMinor", deleted, sequence FROM "OrderFact" WHERE "customerId" = $1 ORDER BY deleted DESC', [customerId]);
      outcomes.push({ facts, statistics: (await statisticsOf([customerId])).map(({ customerId: _, ...row }) => row) });
    }
    expect(outcomes[0]).toEqual({
      facts: [
        { status: null, totalMinor: null, deleted: true, sequence: 2 },
        { status: 'PAID', totalMinor: '1200', deleted: false, sequence: 3 },
      ],
      statistics: [{ currency: 'USD', frequency: 1, monetaryMinor: '1200', lastOrderAt: new Date(NOW - 3 * DAY_MS) }],
    });
    for (const outcome of outcomes.slice(1)) expect(outcome).toEqual(outcomes[0]);
  });

  // The rebuild below replays this poison event too, and skips it.
  it('dead-letters an order event whose data does not match its schema, and keeps applying the rest', async () => {
    const customerId = randomUUID();
    const [good] = orderEvents(customerId, { currency: 'USD', totalMinor: '100', daysAgo: 1, statuses: ['PAID'] });
    await deliver([{ ...good, id: randomUUID(), aggregateId: randomUUID(), data: { ...good.data, totalMinor: 'lots' } }, good]);
    expect(await statisticsOf([customerId])).toHaveLength(1);
  });
});

describe('Customer.rfm', () => {
  let customers: string[];

  beforeAll(async () => {
    customers = [];
    for (let index = 0; index < 5; index++) customers.push(await newCustomer(`Rfm ${index}`, index === 4 ? ['vip'] : []));
    // Customer n: n + 1 orders of 100 SEK each, the latest (5 − n) × 10 days ago, in a currency no other test uses.
    await deliver(
      customers.flatMap((customerId, n) =>
        Array.from({ length: n + 1 }, (_, k) => orderEvents(customerId, { currency: 'SEK', totalMinor: '10000', daysAgo: (5 - n) * 10 + k, statuses: ['PLACED'] })).flat(),
      ),
    );
  });

  it('gives recency, frequency and monetary value with quintile scores, one entry per currency', async () => {
    const answer = await platform.gql(`{ a: customer(id: "${customers[0]}") { rfm ${RFM} } e: customer(id: "${customers[4]}") { rfm ${RFM} } }`, {}, 'marketing');
    expectNoErrors(answer);
    expect(answer.body.data).toEqual({
      a: {
        rfm: [
          {
            currency: 'SEK',
            recencyDays: 50,
            lastOrderAt: new Date(NOW - 50 * DAY_MS).toISOString(),
            frequency: 1,
            monetary: { amount: '100.00', currency: 'SEK', minorUnits: '10000' },
            recencyScore: 1,
            frequencyScore: 1,
            monetaryScore: 1,
            score: '111',
          },
        ],
      },
      e: {
        rfm: [
          {
            currency: 'SEK',
            recencyDays: 10,
            lastOrderAt: new Date(NOW - 10 * DAY_MS).toISOString(),
            frequency: 5,
            monetary: { amount: '500.00', currency: 'SEK', minorUnits: '50000' },
            recencyScore: 5,
            frequencyScore: 5,
            monetaryScore: 5,
            score: '555',
          },
        ],
      },
    });
    const none = await platform.gql('mutation { createCustomer(input: { name: "No orders" }) { id rfm { score } } }');
    expectNoErrors(none);
    expect(none.body.data!.createCustomer.rfm).toEqual([]);
  });

  it('is for admins and marketing only; the rest of the answer stays', async () => {
    for (const as of ['sales', 'viewer'] as const) {
      const answer = await platform.gql(`{ customer(id: "${customers[4]}") { name rfm { score } } }`, {}, as);
      expect(answer.body.data).toEqual({ customer: { name: 'Rfm 4', rfm: null } });
      expect(answer.body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', field: 'Customer.rfm' });
    }
  });

  it('segment rules on the analysis: ordered within, minimum spend, RFM scores; left out for those who may not read rfm', async () => {
    const segment = async (name: string, rules: Record<string, unknown>) => {
      const created = await platform.gql('mutation ($input: CreateSegmentInput!) { createSegment(input: $input) { id rules { orderedWithinDays minMonetary { amount currency minorUnits } rfmScores tagsAny } } }', {
        input: { name, rules },
      });
      expectNoErrors(created);
      return created.body.data!.createSegment;
    };
    expect(await segment('Recent Swedes', { orderedWithinDays: 25 })).toMatchObject({ rules: { orderedWithinDays: 25, minMonetary: null, rfmScores: null } });
    expect(await segment('Big Swedes', { minMonetary: { amount: '300', currency: 'SEK' } })).toMatchObject({ rules: { minMonetary: { amount: '300.00', currency: 'SEK', minorUnits: '30000' } } });
    expect(await segment('Swedish champions', { rfmScores: ['555', '554', '555'], tagsAny: ['vip'] })).toMatchObject({ rules: { rfmScores: ['555', '554'], tagsAny: ['vip'] } });
    await segment('Anyone active', { statuses: ['ACTIVE'] });

    const byCustomer = async (as: 'marketing' | 'viewer') => {
      const names: Record<string, string[]> = {};
      for (const [index, id] of customers.entries()) {
        const answer = await platform.gql(`{ customer(id: "${id}") { segments { name } } }`, {}, as);
        expectNoErrors(answer);
        names[`Rfm ${index}`] = answer.body.data!.customer.segments.map((entry: { name: string }) => entry.name).filter((name: string) => name.includes('Swed') || name === 'Anyone active');
      }
      return names;
    };
    expect(await byCustomer('marketing')).toEqual({
      'Rfm 0': ['Anyone active'],
      'Rfm 1': ['Anyone active'],
      'Rfm 2': ['Anyone active', 'Big Swedes'],
      'Rfm 3': ['Anyone active', 'Big Swedes', 'Recent Swedes'],
      'Rfm 4': ['Anyone active', 'Big Swedes', 'Recent Swedes', 'Swedish champions'],
    });
    expect(await byCustomer('viewer')).toEqual(Object.fromEntries(customers.map((_, index) => [`Rfm ${index}`, ['Anyone active']])));
  });

  it.each([
    [{ rfmScores: ['556'] }, 'input.rules.rfmScores.0'],
    [{ rfmScores: Array.from({ length: 126 }, () => '111') }, 'input.rules.rfmScores'],
    [{ minMonetary: { amount: '1.001', currency: 'USD' } }, 'input.rules.minMonetary.amount'],
    [{ minMonetary: { amount: '-1', currency: 'USD' } }, 'input.rules.minMonetary.amount'],
    [{ minMonetary: { amount: '1', currency: 'XYZ' } }, 'input.rules.minMonetary.currency'],
    [{ orderedWithinDays: 0 }, 'input.rules.orderedWithinDays'],
    [{ orderedWithinDays: 36_501 }, 'input.rules.orderedWithinDays'],
    [{ rfmScores: [] }, 'input.rules'],
  ])('refuses the segment rules %j on %s, writing nothing', async (rules, field) => {
    const before = await platform.rowCounts();
    const answer = await platform.gql('mutation ($input: CreateSegmentInput!) { createSegment(input: $input) { id } }', { input: { name: `Bad ${randomUUID()}`, rules } });
    expect(answer.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await platform.rowCounts()).toEqual(before);
  });

  it('costs the same statements for 10 and 100 customers', async () => {
    const statements = async () => Number(/^sql_statements_total\{[^}]*\} (\d+)$/m.exec(await (await fetch(platform.subgraphs.marketing.url.replace('/graphql', '/metrics'))).text())![1]);
    const ids = Array.from({ length: 100 }, () => randomUUID());
    await deliver(ids.flatMap((customerId, n) => orderEvents(customerId, { currency: 'DKK', totalMinor: String(100 * (n + 1)), daysAgo: n, statuses: ['PAID'] })));
    const cost = async (count: number) => {
      const before = await statements();
      const answer = await platform.subgraphGql(
        'marketing',
        `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { rfm { score monetary { amount } } segments { name } } } }`,
        { r: ids.slice(0, count).map((id) => ({ __typename: 'Customer', id, kind: 'PERSON', status: 'ACTIVE', tags: ['vip'], company: null })) },
        'marketing',
      );
      expectNoErrors(answer);
      expect(answer.body.data!._entities.every((customer: { rfm: unknown[] }) => customer.rfm.length === 1)).toBe(true);
      return (await statements()) - before;
    };
    const ten = await cost(10);
    expect(await cost(100)).toBe(ten);
    // The segments, and the analysis of every customer at once.
    expect(ten).toBe(2);
  });
});

describe('rebuild:analysis', () => {
  it('replays the stream into an emptied read model and gets the same one, which agrees with the sales database', async () => {
    const product = await platform.gql('mutation { createProduct(input: { sku: "RFM-1", name: "Rfm", price: { amount: "12.50", currency: "USD" } }) { id } }');
    expectNoErrors(product);
    const productId = product.body.data!.createProduct.id;
    const buyers = [await newCustomer('Buyer 1'), await newCustomer('Buyer 2')];
    const order = async (customerId: string, quantity: number, status: 'DRAFT' | 'PLACED') => {
      const created = await platform.gql('mutation ($input: CreateOrderInput!) { createOrder(input: $input) { id } }', { input: { customerId, items: [{ productId, quantity }], status } });
      expectNoErrors(created);
      return created.body.data!.createOrder.id as string;
    };
    const setStatus = async (id: string, status: string) => expectNoErrors(await platform.gql('mutation ($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { id } }', { id, s: status }));
    await order(buyers[0], 2, 'PLACED');
    await setStatus(await order(buyers[0], 3, 'PLACED'), 'PAID');
    await setStatus(await order(buyers[1], 1, 'PLACED'), 'CANCELLED');
    await order(buyers[1], 4, 'PLACED');
    const draft = await order(buyers[1], 5, 'DRAFT');
    expectNoErrors(await platform.gql('mutation ($id: ID!) { deleteOrder(id: $id) }', { id: draft }));
    // An order the seed wrote: no event has reached it, and the rebuild keeps it.
    const seeded = randomUUID();
    await platform.sql('marketing', `INSERT INTO "OrderFact" ("orderId", "customerId", status, currency, "totalMinor", "placedAt", "createdAt") VALUES ($1, $2, 'FULFILLED', 'NOK', 4200, now(), now())`, [seeded, buyers[0]]);
    await platform.sql('marketing', `INSERT INTO "CustomerOrderStatistics" ("customerId", currency, frequency, "monetaryMinor", "lastOrderAt") SELECT $1, 'NOK', 1, 4200, "placedAt" FROM "OrderFact" WHERE "orderId" = $2`, [buyers[0], seeded]);

    const before = await readModel();
    expect(before.orders.length).toBeGreaterThan(10);
    const result = await rebuildAnalysis(database.prisma, platform.subgraphs.marketing.events.transport);
    expect(result).toMatchObject({ orders: before.orders.length, statistics: before.statistics.length, skipped: 1 });
    expect(result.applied).toBe(result.replayed - result.skipped);
    expect(await readModel()).toEqual(before);

    // Recomputed from the orders sales keeps, for the customers whose orders came from sales.
    const fromSales = await platform.sql<Statistics>(
      'sales',
      `SELECT "customerId"::text, currency::text, count(*)::int AS frequency, sum("totalMinor")::text AS "monetaryMinor", max("placedAt") AS "lastOrderAt"
       FROM "Order" WHERE "customerId" = ANY($1::uuid[]) AND status::text IN ('PLACED', 'PAID', 'FULFILLED') GROUP BY "customerId", currency ORDER BY "customerId", currency`,
      [buyers],
    );
    expect(fromSales).toHaveLength(2);
    expect((await statisticsOf(buyers)).filter((row) => row.currency === 'USD')).toEqual(fromSales);
  });
});
