import { seedDemoData } from '../../../dev/seed';
import { startTestPlatform, type TestPlatform } from '../../../test/harness';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
  await seedDemoData(platform.databaseUrls, { customers: 30, ordersPerCustomer: 2 });
});
afterAll(async () => {
  await platform?.stop();
});

// The seed writes no events, so sales' copy of the customers is the seed's to write.
it('leaves sales knowing every seeded customer, as the customer service has it', async () => {
  const customers = await platform.sql<Record<string, unknown>>(
    'customer',
    'SELECT id::text, status::text, kind::text, "ownerId", "archivedAt" IS NOT NULL AS archived FROM "Customer" ORDER BY id',
  );
  const known = await platform.sql<Record<string, unknown>>(
    'sales',
    'SELECT id::text, status, kind, "ownerId", archived, deleted, erased, "deletionHoldId"::text, sequence FROM "KnownCustomer" ORDER BY id',
  );
  expect(customers.length).toBe(30);
  expect(known).toEqual(customers.map((customer) => ({ ...customer, deleted: false, erased: false, deletionHoldId: null, sequence: 0 })));
  expect(known.some(({ ownerId }) => ownerId !== null)).toBe(true);
  const unknownCustomers = await platform.sql('sales', 'SELECT id FROM "Order" WHERE "customerId" NOT IN (SELECT id FROM "KnownCustomer")');
  expect(unknownCustomers).toEqual([]);
});
