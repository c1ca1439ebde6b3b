import { expectNoErrors, internalHeaders, postGraphQL, userHeaders } from './harness';
import { startGateway } from '../gateway/src/server';
import { requestsAnswered, startProcessPlatform, waitFor, type ProcessPlatform } from './process-platform';

// Subgraph → subgraph calls (sales asking customer whether an order's customer exists) go
// through the same breaker as the gateway's calls. The subgraph processes read their settings
// from this environment; the short reset lets the test see the breaker close again.
// Peer calls may wait far longer than the gateway waits for sales (below).
const PEER_SETTINGS = { CUSTOMER_BREAKER_RESET_MS: '2000', PEER_TIMEOUT_MS: '30000' };
const resilience = { timeoutMs: 15_000, retries: 0, errorThresholdPercentage: 50, volumeThreshold: 1_000, resetTimeoutMs: 1_000 };
const CREATE_ORDER = 'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }';

let platform: ProcessPlatform;
const saved = Object.fromEntries(Object.keys(PEER_SETTINGS).map((key) => [key, process.env[key]]));
let order: { customerId: string; items: { productId: string; quantity: number }[] };

const requestsTo = (name: 'customer' | 'sales') => requestsAnswered(platform.subgraphUrls[name], '/graphql');

const createOrder = async () => postGraphQL(platform.gatewayUrl, CREATE_ORDER, { input: order }, await userHeaders());
const ordersWritten = async () => {
  const response = await postGraphQL(platform.subgraphUrls.sales, '{ orders { totalCount } }', undefined, await internalHeaders());
  expectNoErrors(response);
  return response.body.data!.orders.totalCount as number;
};

beforeAll(async () => {
  Object.assign(process.env, PEER_SETTINGS);
  platform = await startProcessPlatform({ gateway: { resilience: { customer: resilience, sales: resilience, marketing: resilience } } });
  const customer = await postGraphQL(platform.subgraphUrls.customer, 'mutation { createCustomer(input: { name: "Ada" }) { id } }', undefined, await internalHeaders());
  expectNoErrors(customer);
  const product = await postGraphQL(platform.subgraphUrls.sales, 'mutation { createProduct(input: { sku: "P-1", name: "Plan", price: { amount: "10", currency: "USD" } }) { id } }', undefined, await internalHeaders());
  expectNoErrors(product);
  order = { customerId: customer.body.data!.createCustomer.id, items: [{ productId: product.body.data!.createProduct.id, quantity: 1 }] };
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
    expectNoErrors(await createOrder());
    const before = await ordersWritten();
    await platform.kill('customer');

    const first = await createOrder();
    expect(first.body.data).toEqual({ createOrder: null });
    expect(first.body.errors?.[0]).toMatchObject({ message: expect.stringContaining('The customer service is unavailable'), extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'customer' } });

    // Enough failed lookups open sales' breaker for customer: from then on sales does not try.
    await waitFor(async () => (await createOrder()).body.errors?.[0].message.includes('its circuit is open') === true, 'the customer breaker in sales to open', 30_000);
    const refused = await createOrder();
    expect(refused.body.errors?.[0]).toMatchObject({ message: expect.stringContaining('its circuit is open'), extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'customer' } });
    expect(await ordersWritten()).toBe(before);

    // The half-open probe waits until the restarted customer subgraph reports ready.
    await platform.start('customer');
    await waitFor(async () => !(await createOrder()).body.errors, 'orders to be accepted once customer is back', 15_000);
    expect(await ordersWritten()).toBe(before + 1);
  });
});

describe('a write whose peer answers after the gateway gave up', () => {
  it('is not made, so the client that was told it failed is right', async () => {
    const impatient = await startGateway({ port: 0, subgraphUrls: platform.subgraphUrls, resilience: { sales: { ...resilience, timeoutMs: 1_500 } } });
    try {
      await waitFor(async () => !(await createOrder()).body.errors, 'orders to be accepted');
      const before = await ordersWritten();
      const lookups = await requestsTo('customer');
      platform.pause('customer');
      let answer;
      try {
        answer = await postGraphQL(impatient.url, CREATE_ORDER, { input: order }, await userHeaders());
      } finally {
        platform.resume('customer');
      }
      expect(answer.body.errors?.[0]).toMatchObject({ message: expect.stringContaining('no answer within 1500 ms'), extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'sales' } });
      // The delayed lookup is answered once customer runs again; sales then gets its answer.
      await waitFor(async () => (await requestsTo('customer')) > lookups, 'customer to answer the delayed lookup');
      expectNoErrors(await postGraphQL(platform.subgraphUrls.sales, CREATE_ORDER, { input: order }, await internalHeaders()));
      expect(await ordersWritten()).toBe(before + 1);
    } finally {
      await impatient.stop();
    }
  });
});
