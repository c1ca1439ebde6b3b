import type { ResilienceOptions } from '../gateway/src/resilient-data-source';
import { expectNoErrors, internalHeaders, postGraphQL, userHeaders } from './harness';
import { startProcessPlatform, startTcpProxy, waitFor, type ProcessPlatform } from './process-platform';

// Time limit with room for a loaded machine; one retry so a cut database is answered quickly.
const resilience: ResilienceOptions = { timeoutMs: 5_000, retries: 1, errorThresholdPercentage: 50, volumeThreshold: 50, resetTimeoutMs: 1_500 };

const FIGURES = 'query($id: ID!) { campaign(id: $id) { name attributedRevenue { amount currency } conversions roi } }';

let platform: ProcessPlatform;
let salesDatabase: Awaited<ReturnType<typeof startTcpProxy>>;
let campaignId: string;

const gql = async (query: string, variables?: Record<string, unknown>) => postGraphQL(platform.gatewayUrl, query, variables, await userHeaders());
// Set-up writes go straight to the subgraphs, outside the gateway's time limit.
const write = async (name: 'customer' | 'sales' | 'marketing', query: string, variables?: Record<string, unknown>) => {
  const response = await postGraphQL(platform.subgraphUrls[name], query, variables, await internalHeaders());
  expectNoErrors(response);
  return response.body.data!;
};

beforeAll(async () => {
  platform = await startProcessPlatform({
    gateway: { resilience: { customer: resilience, sales: resilience, marketing: resilience } },
    databaseUrl: async (name, url) => {
      if (name !== 'sales') return url;
      const target = new URL(url);
      salesDatabase = await startTcpProxy(target);
      target.hostname = '127.0.0.1';
      target.port = String(salesDatabase.port);
      return target.toString();
    },
  });
  const { createCustomer } = await write('customer', 'mutation { createCustomer(input: { name: "Ada" }) { id } }');
  const { createProduct } = await write('sales', 'mutation { createProduct(input: { sku: "SEAT", name: "Seat", price: { amount: "30", currency: "USD" } }) { id } }');
  const { createOrder } = await write('sales', 'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }', {
    input: { customerId: createCustomer.id, items: [{ productId: createProduct.id, quantity: 1 }], status: 'PLACED' },
  });
  await write('sales', `mutation { updateOrderStatus(id: "${createOrder.id}", status: PAID) { id } }`);
  campaignId = (await write('marketing', 'mutation { createCampaign(input: { name: "Launch", channel: EMAIL, budget: { amount: "10", currency: "USD" } }) { id } }')).createCampaign.id;
  await write('marketing', `mutation { attributeOrder(campaignId: "${campaignId}", orderId: "${createOrder.id}") { id } }`);
  await waitFor(async () => !(await gql(FIGURES, { id: campaignId })).body.errors, 'the platform to answer');
});
afterAll(async () => {
  await platform?.stop();
  await salesDatabase?.stop();
});

describe('partial failures', () => {
  it('answers a campaign\'s figures with errors naming each field while the sales database is away, never with zeros', async () => {
    const healthy = await gql(FIGURES, { id: campaignId });
    expectNoErrors(healthy);
    expect(healthy.body.data!.campaign).toEqual({ name: 'Launch', attributedRevenue: [{ amount: '30.00', currency: 'USD' }], conversions: 1, roi: '2.0000' });

    await salesDatabase.cut();
    try {
      const cut = await gql(FIGURES, { id: campaignId });
      expect(cut.status).toBe(200);
      expect(cut.body.data!.campaign).toEqual({ name: 'Launch', attributedRevenue: null, conversions: null, roi: null });
      const failed = (cut.body.errors ?? []).map((error) => ({ path: error.path, code: error.extensions?.code }));
      expect(failed).toEqual(
        expect.arrayContaining(['attributedRevenue', 'conversions', 'roi'].map((field) => ({ path: ['campaign', field], code: 'DATABASE_UNAVAILABLE' }))),
      );
      expect(failed).toHaveLength(3);
    } finally {
      await salesDatabase.restore();
    }
    await waitFor(async () => !(await gql(FIGURES, { id: campaignId })).body.errors, 'the sales subgraph to reconnect', 15_000);
    expect((await gql(FIGURES, { id: campaignId })).body.data!.campaign.conversions).toBe(1);
  });
});
