import { Client } from 'pg';
import type { SubgraphName } from '../lib/config';
import { expectNoErrors, internalHeaders, postGraphQL, userHeaders } from './harness';
import { startGateway } from '../gateway/src/server';
import { requestsAnswered, startProcessPlatform, waitFor, type ProcessPlatform } from './process-platform';

// Subgraph → subgraph calls (sales asking customer about an order's customer it has not heard
// of yet) go through the same breaker as the gateway's calls. The subgraph processes read their settings
// from this environment; the short reset lets the test see the breaker close again.
// Peer calls may wait far longer than the gateway waits for sales (below).
const PEER_SETTINGS = { CUSTOMER_BREAKER_RESET_MS: '2000', PEER_TIMEOUT_MS: '30000' };
const resilience = { timeoutMs: 15_000, retries: 0, errorThresholdPercentage: 50, volumeThreshold: 1_000, resetTimeoutMs: 1_000 };
const CREATE_ORDER = 'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }';

let platform: ProcessPlatform;
const saved = Object.fromEntries(Object.keys(PEER_SETTINGS).map((key) => [key, process.env[key]]));
let productId: string;
// A customer sales knows (from its events or an earlier lookup), and one it must ask about.
let known: string;
let unknown: string;

const requestsTo = (name: 'customer' | 'sales') => requestsAnswered(platform.subgraphUrls[name], '/graphql');

const orderFor = (customerId: string) => ({ input: { customerId, items: [{ productId, quantity: 1 }] } });
const createOrder = async (customerId = unknown) => postGraphQL(platform.gatewayUrl, CREATE_ORDER, orderFor(customerId), await userHeaders());
const ordersWritten = async () => {
  const response = await postGraphQL(platform.subgraphUrls.sales, '{ orders { totalCount } }', undefined, await internalHeaders());
  expectNoErrors(response);
  return response.body.data!.orders.totalCount as number;
};

async function sql<T>(name: SubgraphName, query: string, values: unknown[]): Promise<T[]> {
  const client = new Client({ connectionString: platform.databaseUrls[name] });
  await client.connect();
  try {
    return (await client.query(query, values)).rows;
  } finally {
    await client.end();
  }
}

async function newCustomer(name: string): Promise<string> {
  const customer = await postGraphQL(platform.subgraphUrls.customer, 'mutation($name: String!) { createCustomer(input: { name: $name }) { id } }', { name }, await internalHeaders());
  expectNoErrors(customer);
  return customer.body.data!.createCustomer.id;
}

// A customer whose created event sales has not had, so an order for it makes sales ask the
// customer service: sales' copy of it is removed once the event (when events cross between
// these processes) has been applied and cannot bring it back.
async function customerSalesMustAskAbout(name: string): Promise<string> {
  const id = await newCustomer(name);
  if (platform.eventBroker.kind === 'nats') {
    const [created] = await sql<{ id: string }>('customer', `SELECT id::text FROM "OutboxEvent" WHERE "aggregateId" = $1 AND type = 'customer.created'`, [id]);
    await waitFor(
      async () => (await sql('sales', `SELECT 1 FROM "ProcessedEvent" WHERE consumer = 'sales-customers' AND "eventId" = $1`, [created.id])).length > 0,
      'sales to apply customer.created',
    );
  }
  await sql('sales', 'DELETE FROM "KnownCustomer" WHERE id = $1', [id]);
  return id;
}

beforeAll(async () => {
  Object.assign(process.env, PEER_SETTINGS);
  platform = await startProcessPlatform({ gateway: { resilience: { customer: resilience, sales: resilience, marketing: resilience } } });
  const product = await postGraphQL(platform.subgraphUrls.sales, 'mutation { createProduct(input: { sku: "P-1", name: "Plan", price: { amount: "10", currency: "USD" } }) { id } }', undefined, await internalHeaders());
  expectNoErrors(product);
  productId = product.body.data!.createProduct.id;
  known = await newCustomer('Ada');
  expectNoErrors(await createOrder(known));
});
afterAll(async () => {
  await platform?.stop();
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe('a write that needs a peer subgraph that is down', () => {
  it('fails with SUBGRAPH_UNAVAILABLE, then fast once the peer’s circuit is open, writes nothing, and heals', async () => {
    unknown = await customerSalesMustAskAbout('Grace');
    const before = await ordersWritten();
    await platform.kill('customer');

    // Sales checks customers it knows against its own copy: no lookup, nothing to fail.
    expectNoErrors(await createOrder(known));
    const first = await createOrder();
    expect(first.body.data).toEqual({ createOrder: null });
    expect(first.body.errors?.[0]).toMatchObject({ message: expect.stringContaining('The customer service is unavailable'), extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'customer' } });

    // Enough failed lookups open sales' breaker for customer: from then on sales does not try.
    await waitFor(async () => (await createOrder()).body.errors?.[0].message.includes('its circuit is open') === true, 'the customer breaker in sales to open', 30_000);
    const refused = await createOrder();
    expect(refused.body.errors?.[0]).toMatchObject({ message: expect.stringContaining('its circuit is open'), extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'customer' } });
    expect(await ordersWritten()).toBe(before + 1);

    // The half-open probe waits until the restarted customer subgraph reports ready.
    await platform.start('customer');
    await waitFor(async () => !(await createOrder()).body.errors, 'orders to be accepted once customer is back', 15_000);
    expect(await ordersWritten()).toBe(before + 2);
  });
});

describe('a write whose peer answers after the gateway gave up', () => {
  it('is not made, so the client that was told it failed is right', async () => {
    const impatient = await startGateway({ port: 0, subgraphUrls: platform.subgraphUrls, resilience: { sales: { ...resilience, timeoutMs: 1_500 } } });
    try {
      await waitFor(async () => !(await createOrder(known)).body.errors, 'orders to be accepted');
      unknown = await customerSalesMustAskAbout('Radia');
      const before = await ordersWritten();
      const lookups = await requestsTo('customer');
      platform.pause('customer');
      let answer;
      try {
        answer = await postGraphQL(impatient.url, CREATE_ORDER, orderFor(unknown), await userHeaders());
      } finally {
        platform.resume('customer');
      }
      expect(answer.body.errors?.[0]).toMatchObject({ message: expect.stringContaining('no answer within 1500 ms'), extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'sales' } });
      // The delayed lookup is answered once customer runs again; sales then gets its answer.
      await waitFor(async () => (await requestsTo('customer')) > lookups, 'customer to answer the delayed lookup');
      expectNoErrors(await postGraphQL(platform.subgraphUrls.sales, CREATE_ORDER, orderFor(unknown), await internalHeaders()));
      expect(await ordersWritten()).toBe(before + 1);
    } finally {
      await impatient.stop();
    }
  });
});
