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
  const customers = await platform.sql<{ id: string; ownerId: string | null; archived: boolean }>(
    'customer',
    'SELECT id::text, "ownerId", "archivedAt" IS NOT NULL AS archived FROM "Customer" ORDER BY id',
  );
  const known = await platform.sql<{ id: string; ownerId: string | null; archived: boolean; deleted: boolean; erased: boolean; deletionHoldId: string | null }>(
    'sales',
    'SELECT id::text, "ownerId", archived, deleted, erased, "deletionHoldId"::text FROM "KnownCustomer" ORDER BY id',
  );
  expect(customers.length).toBe(30);
  expect(known).toEqual(customers.map((customer) => ({ ...customer, deleted: false, erased: false, deletionHoldId: null })));
  const unknownCustomers = await platform.sql('sales', 'SELECT id FROM "Order" WHERE "customerId" NOT IN (SELECT id FROM "KnownCustomer")');
  expect(unknownCustomers).toEqual([]);
});
