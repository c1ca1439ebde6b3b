import { seedDemoData } from '../../../dev/seed';
import { startTestPlatform, type TestPlatform } from '../../../test/harness';
import { COUNTED_ORDER_STATUSES } from './rules';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
  await seedDemoData(platform.databaseUrls, { customers: 30, ordersPerCustomer: 2 });
});
afterAll(async () => {
  await platform?.stop();
});

// The seeds write no events, so marketing's projections of customers and orders, and the
// analysis on them, are the seed's to fill: they must say what the events would have.
it('leaves marketing knowing every seeded customer, as the customer service has it', async () => {
  const customers = await platform.sql<Record<string, unknown>>(
    'customer',
    'SELECT id::text, status::text, kind::text, "ownerId", "archivedAt" IS NOT NULL AS archived FROM "Customer" ORDER BY id',
  );
  const known = await platform.sql<Record<string, unknown>>(
    'marketing',
    'SELECT id::text, status, kind, "ownerId", archived, deleted, erased, "deletionHoldId"::text, sequence FROM "KnownCustomer" ORDER BY id',
  );
  expect(customers.length).toBe(30);
  expect(known).toEqual(customers.map((customer) => ({ ...customer, deleted: false, erased: false, deletionHoldId: null, sequence: 0 })));
  expect(known.some(({ ownerId }) => ownerId !== null)).toBe(true);
});

it("leaves marketing one order fact per sales order, with the order's state", async () => {
  const orders = await platform.sql<Record<string, unknown>>(
    'sales',
    'SELECT id::text AS "orderId", "customerId"::text, status::text, currency, "totalMinor"::text, "placedAt"::text, "createdAt"::text FROM "Order" ORDER BY id',
  );
  const facts = await platform.sql<Record<string, unknown>>(
    'marketing',
    'SELECT "orderId"::text, "customerId"::text, status, currency, "totalMinor"::text, "placedAt"::text, "createdAt"::text, deleted, "deletionHoldId"::text, sequence FROM "OrderFact" ORDER BY "orderId"',
  );
  expect(orders.length).toBeGreaterThan(0);
  expect(facts).toEqual(orders.map((order) => ({ ...order, deleted: false, deletionHoldId: null, sequence: 0 })));
});

it("leaves marketing's customer statistics as sales' orders add up to", async () => {
  const fromOrders = await platform.sql<Record<string, unknown>>(
    'sales',
    `SELECT "customerId"::text, currency, count(*)::int AS frequency, sum("totalMinor")::text AS "monetaryMinor", max(COALESCE("placedAt", "createdAt"))::text AS "lastOrderAt"
     FROM "Order" WHERE status::text = ANY($1::text[]) GROUP BY "customerId", currency ORDER BY "customerId", currency`,
    [[...COUNTED_ORDER_STATUSES]],
  );
  const seeded = await platform.sql<Record<string, unknown>>(
    'marketing',
    'SELECT "customerId"::text, currency, frequency, "monetaryMinor"::text, "lastOrderAt"::text FROM "CustomerOrderStatistics" ORDER BY "customerId", currency',
  );
  expect(fromOrders.length).toBeGreaterThan(0);
  expect(seeded).toEqual(fromOrders);
});
