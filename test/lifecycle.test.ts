import { expectNoErrors, internalHeaders, postGraphQL, userHeaders } from './harness';
import { requestsAnswered, startProcessPlatform, waitFor, type ProcessPlatform } from './process-platform';

// How services start, report readiness and stop, seen from the gateway and from probes.
const GRACE_MS = 6_000;
const resilience = { timeoutMs: 15_000, retries: 1, errorThresholdPercentage: 50, volumeThreshold: 1_000, resetTimeoutMs: 1_000 };
const WITH_SALES = '{ customers(first: 5) { nodes { name orders { totalCount } lifetimeValue { amount } } } }';

let platform: ProcessPlatform;
const gql = async (query: string) => postGraphQL(platform.gatewayUrl, query, undefined, await userHeaders());
const endpoint = (name: 'customer' | 'sales' | 'marketing', path: string) => platform.subgraphUrls[name].replace('/graphql', path);

const requestsTo = (name: 'customer' | 'sales' | 'marketing', route: '/graphql' | '/ready') => requestsAnswered(platform.subgraphUrls[name], route);

beforeAll(async () => {
  process.env.SHUTDOWN_GRACE_MS = String(GRACE_MS);
  platform = await startProcessPlatform({ gateway: { resilience: { customer: resilience, sales: resilience, marketing: resilience }, readinessCacheMs: 60_000 } });
  await waitFor(async () => !(await gql(WITH_SALES)).body.errors, 'the platform to answer');
  expectNoErrors(await postGraphQL(platform.subgraphUrls.customer, 'mutation { createCustomer(input: { name: "Ada" }) { id } }', undefined, await internalHeaders()));
});
afterAll(async () => {
  delete process.env.SHUTDOWN_GRACE_MS;
  await platform?.stop();
});

describe('readiness', () => {
  it('a subgraph reports ready only after it has warmed itself up with a GraphQL request', async () => {
    await platform.kill('marketing');
    await platform.start('marketing');
    await waitFor(async () => (await fetch(endpoint('marketing', '/ready'))).ok, 'marketing to be ready');
    // Nobody but the subgraph itself has sent it GraphQL since it started.
    expect(await requestsTo('marketing', '/graphql')).toBeGreaterThanOrEqual(1);
  });

  it('the gateway answers a flood of /ready from one check of each subgraph', async () => {
    const before = await requestsTo('sales', '/ready');
    const answers = await Promise.all(Array.from({ length: 50 }, () => fetch(platform.gatewayUrl.replace('/graphql', '/ready'))));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    for (const answer of answers) expect((await answer.json()).dependencies.sales).toEqual({ status: 'up', breaker: 'closed' });
    expect((await requestsTo('sales', '/ready')) - before).toBeLessThanOrEqual(1);
  });
});

describe('SIGTERM', () => {
  it('reports not-ready, serves in-flight and new requests for the grace period, then exits cleanly', async () => {
    const inFlight = Array.from({ length: 6 }, () => gql(WITH_SALES));
    const exited = platform.terminate('sales');
    await waitFor(async () => {
      const ready = await fetch(endpoint('sales', '/ready'));
      return ready.status === 503 && (await ready.json()).status === 'draining';
    }, 'sales to report draining', GRACE_MS);
    const arrivingLater = Array.from({ length: 6 }, () => gql(WITH_SALES));
    for (const response of await Promise.all([...inFlight, ...arrivingLater])) {
      expectNoErrors(response);
      expect(response.body.data!.customers.nodes[0].orders).toEqual({ totalCount: 0 });
    }
    expect(await exited).toBe(0);
    await platform.start('sales');
  });
});
