import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { SUBGRAPH_NAMES } from '../lib/config';
import { expectNoErrors, startTestPlatform, type GraphQLResponse, type TestPlatform } from './harness';

let platform: TestPlatform;
const ids: Record<string, string> = {};

async function mutate(query: string, variables: Record<string, unknown>) {
  const response = await platform.gql(query, variables);
  expectNoErrors(response);
  return response.body.data!;
}

beforeAll(async () => {
  platform = await startTestPlatform();
  const product = async (sku: string, amount: string) =>
    (await mutate('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input: { sku, name: sku, price: { amount, currency: 'USD' } } }))
      .createProduct.id;
  ids.widget = await product('WIDGET', '10.00');
  ids.gadget = await product('GADGET', '2.50');
  const customer = async (input: object) => (await mutate('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', { input })).createCustomer.id;
  ids.acme = await customer({ name: 'Acme Ltd', kind: 'ORGANIZATION', company: 'Acme', status: 'ACTIVE', tags: ['vip'], email: 'hello@acme.example' });
  ids.ada = await customer({ name: 'Ada Lovelace', company: 'Analytical', tags: ['newsletter'] });
  await mutate('mutation($input: CreateContactInput!) { createContact(input: $input) { id } }', { input: { customerId: ids.acme, name: 'Wile E.', title: 'CTO' } });
  const order = async (customerId: string, items: object[], status = 'PLACED') =>
    (await mutate('mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }', { input: { customerId, items, status } })).createOrder.id;
  ids.order1 = await order(ids.acme, [{ productId: ids.widget, quantity: 3 }, { productId: ids.gadget, quantity: 2 }]);
  ids.order2 = await order(ids.acme, [{ productId: ids.gadget, quantity: 1 }]);
  ids.order3 = await order(ids.ada, [{ productId: ids.widget, quantity: 1 }], 'DRAFT');
  await mutate('mutation($id: ID!) { updateOrderStatus(id: $id, status: PAID) { id } }', { id: ids.order1 });
  await mutate('mutation($input: CreateOpportunityInput!) { createOpportunity(input: $input) { id } }', {
    input: { customerId: ids.acme, name: 'Acme expansion', amount: { amount: '5000', currency: 'USD' }, probability: 40, expectedCloseDate: '2027-01-15' },
  });
  ids.vipSegment = (
    await mutate('mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id } }', { input: { name: 'VIP', rules: { tagsAny: ['vip'] } } })
  ).createSegment.id;
  ids.campaign = (
    await mutate('mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }', {
      input: { name: 'Launch', channel: 'EMAIL', budget: { amount: '20.00', currency: 'USD' }, segmentId: ids.vipSegment },
    })
  ).createCampaign.id;
  await mutate('mutation($c: ID!, $ids: [ID!]!) { addCampaignMembers(campaignId: $c, customerIds: $ids) { id } }', { c: ids.campaign, ids: [ids.acme] });
  await mutate('mutation($c: ID!, $o: ID!) { attributeOrder(campaignId: $c, orderId: $o) { id } }', { c: ids.campaign, o: ids.order1 });
  await mutate('mutation($c: ID!, $o: ID!) { attributeOrder(campaignId: $c, orderId: $o) { id } }', { c: ids.campaign, o: ids.order2 });
});

afterAll(() => platform?.stop());

describe('one graph over three subgraphs', () => {
  it('answers a customer query that crosses customer, sales and marketing', async () => {
    const response = await platform.gql(
      `query($id: ID!) {
        customer(id: $id) {
          name status contacts { totalCount nodes { name title } }
          orders { totalCount nodes { status total { amount currency } items { quantity lineTotal { amount } product { sku } } } }
          opportunities { nodes { name weightedAmount { amount } expectedCloseDate } }
          lifetimeValue { amount currency minorUnits }
          segments { name }
          campaigns { name }
        }
      }`,
      { id: ids.acme },
    );
    expectNoErrors(response);
    const customer = response.body.data!.customer;
    expect(customer.name).toBe('Acme Ltd');
    expect(customer.contacts).toEqual({ totalCount: 1, nodes: [{ name: 'Wile E.', title: 'CTO' }] });
    expect(customer.orders.totalCount).toBe(2);
    expect(customer.orders.nodes[1]).toEqual({
      status: 'PAID',
      total: { amount: '35.00', currency: 'USD' },
      items: [
        { quantity: 3, lineTotal: { amount: '30.00' }, product: { sku: 'WIDGET' } },
        { quantity: 2, lineTotal: { amount: '5.00' }, product: { sku: 'GADGET' } },
      ],
    });
    expect(customer.opportunities.nodes).toEqual([{ name: 'Acme expansion', weightedAmount: { amount: '2000.00' }, expectedCloseDate: '2027-01-15' }]);
    expect(customer.lifetimeValue).toEqual([{ amount: '37.50', currency: 'USD', minorUnits: '3750' }]);
    expect(customer.segments).toEqual([{ name: 'VIP' }]);
    expect(customer.campaigns).toEqual([{ name: 'Launch' }]);
  });

  it('lists customers with their orders and segments in one request', async () => {
    const response = await platform.gql(`{
      customers(first: 10, orderBy: { field: NAME, direction: ASC }) {
        totalCount nodes { name orders(first: 1) { totalCount pageInfo { hasNextPage } } segments { name } }
      }
    }`);
    expectNoErrors(response);
    expect(response.body.data!.customers).toEqual({
      totalCount: 2,
      nodes: [
        { name: 'Acme Ltd', orders: { totalCount: 2, pageInfo: { hasNextPage: true } }, segments: [{ name: 'VIP' }] },
        { name: 'Ada Lovelace', orders: { totalCount: 1, pageInfo: { hasNextPage: false } }, segments: [] },
      ],
    });
  });

  it('gives a campaign its revenue, conversions and ROI from sales through federation', async () => {
    const response = await platform.gql(
      `query($id: ID!) { campaign(id: $id) { name budget { amount } segment { name } members { totalCount nodes { customer { name } } }
        attributedOrders { id total { amount } } attributedRevenue { amount currency } conversions roi } }`,
      { id: ids.campaign },
    );
    expectNoErrors(response);
    expect(response.body.data!.campaign).toEqual({
      name: 'Launch',
      budget: { amount: '20.00' },
      segment: { name: 'VIP' },
      members: { totalCount: 1, nodes: [{ customer: { name: 'Acme Ltd' } }] },
      attributedOrders: [
        { id: ids.order1, total: { amount: '35.00' } },
        { id: ids.order2, total: { amount: '2.50' } },
      ],
      attributedRevenue: [{ amount: '37.50', currency: 'USD' }],
      conversions: 1,
      roi: '0.8750',
    });
  });

  it('resolves an order back to its customer', async () => {
    const response = await platform.gql('query($id: ID!) { order(id: $id) { customer { name email } } }', { id: ids.order1 });
    expectNoErrors(response);
    expect(response.body.data!.order.customer).toEqual({ name: 'Acme Ltd', email: 'hello@acme.example' });
  });
});

describe('lists', () => {
  beforeAll(async () => {
    for (let n = 0; n < 23; n++) {
      await mutate('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
        input: { name: `Page ${String(n).padStart(2, '0')}`, status: n % 2 ? 'PROSPECT' : 'LEAD', tags: n % 5 ? [] : ['five'] },
      });
    }
  });

  it('pages through every customer exactly once with cursors', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const response: GraphQLResponse = await platform.gql(
        'query($after: String) { customers(first: 10, after: $after, orderBy: { field: NAME, direction: ASC }) { edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      expectNoErrors(response);
      const { edges, pageInfo }: { edges: { node: { name: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } = response.body.data!.customers;
      seen.push(...edges.map((edge) => edge.node.name));
      pages++;
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(seen).toEqual([...seen].sort());
  });

  it('filters by status, tag and search, and counts the filtered set', async () => {
    const count = async (filter: object) => {
      const response = await platform.gql('query($filter: CustomerFilter) { customers(filter: $filter) { totalCount } }', { filter });
      expectNoErrors(response);
      return response.body.data!.customers.totalCount;
    };
    expect(await count({ status: ['PROSPECT'] })).toBe(11);
    expect(await count({ tags: ['five'] })).toBe(5);
    expect(await count({ search: 'page 1' })).toBe(10);
    expect(await count({ search: 'ACME' })).toBe(1);
  });

  it('pages nested lists with their own cursors', async () => {
    const first = await platform.gql('query($id: ID!) { customer(id: $id) { orders(first: 1) { nodes { id } pageInfo { endCursor } } } }', { id: ids.acme });
    expectNoErrors(first);
    const { nodes, pageInfo } = first.body.data!.customer.orders;
    const second = await platform.gql('query($id: ID!, $after: String) { customer(id: $id) { orders(first: 1, after: $after) { nodes { id } pageInfo { hasNextPage } } } }', {
      id: ids.acme,
      after: pageInfo.endCursor,
    });
    expectNoErrors(second);
    expect(nodes[0].id).toBe(ids.order2);
    expect(second.body.data!.customer.orders).toEqual({ nodes: [{ id: ids.order1 }], pageInfo: { hasNextPage: false } });
  });

  it('sorts orders by total', async () => {
    const response = await platform.gql('{ orders(orderBy: { field: TOTAL, direction: DESC }) { nodes { total { amount } } } }');
    expectNoErrors(response);
    expect(response.body.data!.orders.nodes.map((order: { total: { amount: string } }) => order.total.amount)).toEqual(['35.00', '10.00', '2.50']);
  });

  it('refuses a cursor from another list and an oversized page', async () => {
    const response = await platform.gql('{ customers(first: 5000) { totalCount } }');
    expect(response.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const cursor = await platform.gql('{ orders(first: 1) { pageInfo { endCursor } } }');
    const misuse = await platform.gql('query($after: String) { customers(after: $after) { totalCount } }', { after: cursor.body.data!.orders.pageInfo.endCursor });
    expect(misuse.status).toBe(200);
    expect(misuse.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});

describe('services', () => {
  it('serves Apollo Sandbox on the gateway in development', async () => {
    const response = await fetch(platform.gatewayUrl, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('embeddable-sandbox');
  });

  it('reports health and readiness of every service and its dependencies', async () => {
    const ready = await (await fetch(platform.gatewayUrl.replace('/graphql', '/ready'))).json();
    const healthy = { status: 'up', breaker: 'closed' };
    expect(ready).toEqual({
      status: 'ready',
      service: 'gateway',
      dependencies: { ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, healthy])), events: { status: 'up', subscribers: 0, connections: { webSocket: 0, sse: 0 } } },
    });
    for (const name of SUBGRAPH_NAMES) {
      const response = await fetch(platform.subgraphs[name].url.replace('/graphql', '/ready'));
      expect(await response.json()).toEqual({ status: 'ready', service: name, dependencies: { database: 'up', broker: 'up' } });
    }
  });

  it('keeps each subgraph to its own database', async () => {
    const tables = async (name: (typeof SUBGRAPH_NAMES)[number]) =>
      (await platform.sql<{ table_name: string }>(name, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY 1`)).map(
        (row) => row.table_name,
      );
    // Exactly the models of its own Prisma schema, none of another's.
    const models = (name: (typeof SUBGRAPH_NAMES)[number]) =>
      [...readFileSync(path.join(__dirname, '..', 'prisma', name, 'schema.prisma'), 'utf8').matchAll(/^model (\w+) \{/gm)].map((match) => match[1]).sort();
    for (const name of SUBGRAPH_NAMES) expect(await tables(name)).toEqual(models(name));
    expect(await tables('customer')).toEqual(['Contact', 'Customer', 'CustomerErasure', 'EventSequence', 'Interaction', 'OutboxEvent', 'ProcessedEvent']);
    expect(new Set(Object.values(platform.databaseUrls)).size).toBe(SUBGRAPH_NAMES.length);
  });

  it('has no subgraph code that imports another subgraph', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((entry) => {
        const full = path.join(dir, entry);
        return entry === 'generated' ? [] : statSync(full).isDirectory() ? files(full) : full.endsWith('.ts') ? [full] : [];
      });
    for (const name of SUBGRAPH_NAMES) {
      for (const file of files(path.join(__dirname, '..', 'subgraphs', name, 'src'))) {
        const source = readFileSync(file, 'utf8');
        for (const other of SUBGRAPH_NAMES.filter((candidate) => candidate !== name)) {
          expect({ file, imports: source.includes(`subgraphs/${other}`) || source.includes(`../${other}/`) }).toEqual({ file, imports: false });
        }
      }
    }
  });
});
