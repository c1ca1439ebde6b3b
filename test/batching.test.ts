import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/config';
import { seedDemoData } from '../dev/seed';
import { expectNoErrors, startTestPlatform, type TestPlatform } from './harness';

let platform: TestPlatform;

async function statementTotals(): Promise<Record<SubgraphName, number>> {
  const totals = {} as Record<SubgraphName, number>;
  for (const name of SUBGRAPH_NAMES) {
    const text = await (await fetch(platform.subgraphs[name].url.replace('/graphql', '/metrics'))).text();
    totals[name] = Number(/^sql_statements_total\{[^}]*\} (\d+)$/m.exec(text)![1]);
  }
  return totals;
}

// Statements each subgraph runs for one request (requests here run one at a time).
async function statementsFor(send: () => Promise<unknown>): Promise<Record<SubgraphName, number>> {
  const before = await statementTotals();
  await send();
  const after = await statementTotals();
  return Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, after[name] - before[name]])) as Record<SubgraphName, number>;
}

const CUSTOMERS_QUERY = `query($first: Int!) {
  customers(first: $first, orderBy: { field: NAME, direction: ASC }) {
    nodes {
      id name
      contacts(first: 3) { nodes { name } }
      interactions(first: 3) { nodes { subject } }
      orders(first: 5) { nodes { status total { amount } items { quantity product { sku name } } } }
      opportunities(first: 3) { nodes { name stage } }
      lifetimeValue { amount }
      segments { name }
      campaigns { name }
    }
  }
}`;

// Entity types each subgraph resolves for CUSTOMERS_QUERY; the budget is two statements each.
// The subgraphs whose batching this file measures, each with the fields it resolves.
const MEASURED = ['customer', 'sales', 'marketing'] as const satisfies readonly SubgraphName[];
type Measured = (typeof MEASURED)[number];

const ENTITY_TYPES: Record<Measured, string[]> = {
  customer: ['Customer', 'Contact', 'Interaction'],
  sales: ['Order', 'OrderItem', 'Product', 'Opportunity', 'lifetime value'],
  marketing: ['Segment', 'CampaignMember', 'Campaign'],
};

beforeAll(async () => {
  platform = await startTestPlatform();
  await seedDemoData(platform.databaseUrls, { customers: 120, ordersPerCustomer: 3 });
});
afterAll(() => platform?.stop());

describe('SQL statements per request do not grow with the page size', () => {
  it('costs the same for 10 and 100 customers through the gateway, within two statements per entity type', async () => {
    const run = (first: number) =>
      statementsFor(async () => {
        const response = await platform.gql(CUSTOMERS_QUERY, { first });
        expectNoErrors(response);
        expect(response.body.data!.customers.nodes).toHaveLength(first);
        expect(response.body.data!.customers.nodes.some((customer: { orders: { nodes: unknown[] } }) => customer.orders.nodes.length > 0)).toBe(true);
      });
    const ten = await run(10);
    const hundred = await run(100);
    expect(hundred).toEqual(ten);
    for (const name of MEASURED) {
      expect(ten[name]).toBeGreaterThan(0);
      expect(ten[name]).toBeLessThanOrEqual(2 * ENTITY_TYPES[name].length);
    }
  });

  it('resolves N entity representations sent straight to each subgraph at the same cost for 10 and 100', async () => {
    const rows = await platform.sql<{ id: string; kind: string; status: string; tags: string[]; company: string | null }>(
      'customer',
      'SELECT id::text, kind::text, status::text, tags, company FROM "Customer" ORDER BY id LIMIT 100',
    );
    const selections: Record<Measured, { fields: string; representation: (row: (typeof rows)[number]) => object }> = {
      customer: { fields: 'name contacts(first: 3) { nodes { name } } interactions(first: 3) { nodes { subject } }', representation: (row) => ({ id: row.id }) },
      sales: { fields: 'orders(first: 5) { nodes { total { amount } items { product { sku } } } } opportunities { nodes { name } } lifetimeValue { amount }', representation: (row) => ({ id: row.id }) },
      marketing: { fields: 'segments { name } campaigns { name }', representation: (row) => ({ id: row.id, kind: row.kind, status: row.status, tags: row.tags, company: row.company }) },
    };
    for (const name of MEASURED) {
      const { fields, representation } = selections[name];
      const run = (count: number) =>
        statementsFor(async () => {
          const representations = rows.slice(0, count).map((row) => ({ __typename: 'Customer', ...representation(row) }));
          const response = await platform.subgraphGql(
            name,
            `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Customer { id ${fields} } } }`,
            { representations },
          );
          expectNoErrors(response);
          expect(response.body.data!._entities).toHaveLength(count);
        });
      const ten = await run(10);
      const hundred = await run(100);
      expect({ name, statements: hundred[name] }).toEqual({ name, statements: ten[name] });
      expect(ten[name]).toBeLessThanOrEqual(2 * ENTITY_TYPES[name].length);
    }
  });
});
