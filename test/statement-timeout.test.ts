import { Client } from 'pg';
import { expectNoErrors, startTestPlatform, type TestPlatform } from './harness';

// Short enough that a statement waiting on the lock below is cancelled well inside the
// gateway's subgraph time limit (3000 ms), long enough for any unblocked statement here.
const TEST_TIMEOUT_MS = '400';

let platform: TestPlatform;
let customerId: string;
const previous = process.env.DATABASE_STATEMENT_TIMEOUT_MS;

beforeAll(async () => {
  process.env.DATABASE_STATEMENT_TIMEOUT_MS = TEST_TIMEOUT_MS;
  platform = await startTestPlatform();
  const created = await platform.gql('mutation { createCustomer(input: { name: "Ada" }) { id } }');
  expectNoErrors(created);
  customerId = created.body.data!.createCustomer.id;
});
afterAll(async () => {
  await platform?.stop();
  if (previous === undefined) delete process.env.DATABASE_STATEMENT_TIMEOUT_MS;
  else process.env.DATABASE_STATEMENT_TIMEOUT_MS = previous;
});

// Holds an exclusive lock on the tables from a connection of the test's own, which has no
// statement time limit: the subgraph's statements wait on it until their limit cancels them.
async function whileLocked(tables: string[], work: () => Promise<void>): Promise<void> {
  const locker = new Client({ connectionString: platform.databaseUrls.customer });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE ${tables.map((table) => `"${table}"`).join(', ')} IN ACCESS EXCLUSIVE MODE`);
    await work();
  } finally {
    await locker.query('ROLLBACK').catch(() => undefined);
    await locker.end();
  }
}

describe('statement time limit', () => {
  it('cancels a statement that runs past DATABASE_STATEMENT_TIMEOUT_MS and answers QUERY_TIMEOUT, not an internal error', async () => {
    if (platform.databaseMode === 'embedded') {
      // PGlite has no statement timer and one shared session, so there is nothing to cancel
      // and no second session to hold a lock: the setting must simply not get in the way.
      expectNoErrors(await platform.gql(`{ customers { totalCount } customer(id: "${customerId}") { contacts { totalCount nodes { id } } } }`));
      return;
    }
    await whileLocked(['Customer', 'Contact'], async () => {
      // Through Prisma's query builder (the list) and through raw SQL (the nested page).
      const list = await platform.gql('{ customers { totalCount nodes { id } } }');
      expect(list.status).toBe(200);
      expect(list.body.errors?.[0]).toMatchObject({ path: ['customers'], extensions: { code: 'QUERY_TIMEOUT', service: 'customer' } });

      const nested = await platform.subgraphGql('customer', `{ contact(id: "${customerId}") { id } }`);
      expect(nested.status).toBe(200);
      expect(nested.body.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TIMEOUT', service: 'customer' });
    });
    await whileLocked(['Contact'], async () => {
      const page = await platform.gql(`{ customer(id: "${customerId}") { name contacts { nodes { id } } } }`);
      expect(page.status).toBe(200);
      expect(page.body.errors?.[0]).toMatchObject({ path: ['customer', 'contacts'], extensions: { code: 'QUERY_TIMEOUT', service: 'customer' } });
    });
    // The connections whose statements were cancelled serve the next request as usual.
    const after = await platform.gql('{ customers { totalCount } }');
    expectNoErrors(after);
    expect(after.body.data!.customers.totalCount).toBe(1);
  });
});
