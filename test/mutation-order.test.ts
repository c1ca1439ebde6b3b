import { expectNoErrors, postGraphQL, userHeaders } from './harness';
import { startProcessPlatform, waitFor, type ProcessPlatform } from './process-platform';

// Root mutation fields run in order; once one fails, the later ones are not run, and the ones
// before it keep their results, so a client always sees exactly what was written.
const resilience = { timeoutMs: 10_000, retries: 0, errorThresholdPercentage: 50, volumeThreshold: 1_000, resetTimeoutMs: 1_000 };
const campaign = (name: string) => `createCampaign(input: { name: "${name}", channel: EMAIL, budget: { amount: "10", currency: "USD" } }) { id name }`;

let platform: ProcessPlatform;
const gql = async (query: string) => postGraphQL(platform.gatewayUrl, query, undefined, await userHeaders());
const count = async (name: 'customers' | 'campaigns') => {
  const response = await gql(`{ ${name}(filter: {}) { totalCount } }`);
  expectNoErrors(response);
  return response.body.data![name].totalCount as number;
};

beforeAll(async () => {
  platform = await startProcessPlatform({ gateway: { resilience: { customer: resilience, sales: resilience, marketing: resilience } } });
  await waitFor(async () => !(await gql('{ customers { totalCount } campaigns { totalCount } }')).body.errors, 'the platform to answer');
});
afterAll(() => platform?.stop());

describe('mutations that span subgraphs stop at the first failure', () => {
  it('keeps the results of fields before the failure and does not run those after it', async () => {
    const before = { customers: await count('customers'), campaigns: await count('campaigns') };
    const response = await gql(`mutation { a: ${campaign('First')} b: createCustomer(input: { name: "X", email: "not an email" }) { id } c: ${campaign('Third')} }`);
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ a: { id: expect.any(String), name: 'First' }, b: null, c: null });
    expect(response.body.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([
      [['b'], 'BAD_USER_INPUT'],
      [['c'], 'MUTATION_NOT_RUN'],
    ]);
    expect(response.body.errors?.[1].extensions).toMatchObject({ field: 'c', failedField: 'b' });
    expect(await count('customers')).toBe(before.customers);
    expect(await count('campaigns')).toBe(before.campaigns + 1);
  });

  it('stops within one subgraph too', async () => {
    const before = await count('customers');
    const response = await gql('mutation { a: createCustomer(input: { name: " " }) { id } b: createCustomer(input: { name: "Written?" }) { id } }');
    expect(response.body.data).toEqual({ a: null, b: null });
    expect(response.body.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([
      [['a'], 'BAD_USER_INPUT'],
      [['b'], 'MUTATION_NOT_RUN'],
    ]);
    expect(await count('customers')).toBe(before);
  });

  it('writes nothing after a subgraph that is down, however many clients try at once', async () => {
    const before = await count('campaigns');
    await platform.kill('customer');
    try {
      const responses = await Promise.all(Array.from({ length: 20 }, (_, index) => gql(`mutation { a: createCustomer(input: { name: "X${index}" }) { id } b: ${campaign(`During outage ${index}`)} }`)));
      for (const response of responses) {
        expect(response.status).toBe(200);
        expect(response.body.data).toEqual({ a: null, b: null });
        expect(response.body.errors?.map((error) => error.extensions?.code)).toEqual(['SUBGRAPH_UNAVAILABLE', 'MUTATION_NOT_RUN']);
      }
      expect(await count('campaigns')).toBe(before);
    } finally {
      await platform.start('customer');
    }
  });
});
