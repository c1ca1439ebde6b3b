import net from 'node:net';
import { startGateway } from '../gateway/src/server';
import type { ResilienceOptions } from '../gateway/src/resilient-data-source';
import type { RunningServer } from '../lib/http-server';
import { expectNoErrors, internalHeaders, postGraphQL, userHeaders } from './harness';
import { freePort, startProcessPlatform, startTcpProxy, waitFor, type ProcessPlatform } from './process-platform';

// Short reset and volume keep the test quick; the time limit leaves room for a loaded CI machine.
// Production defaults are in lib/config.ts.
const resilience: ResilienceOptions = { timeoutMs: 5_000, retries: 1, errorThresholdPercentage: 50, volumeThreshold: 3, resetTimeoutMs: 1_500 };
const gatewayResilience = { customer: resilience, sales: resilience, marketing: resilience };

const ACROSS_ALL = `{
  customers(first: 5, orderBy: { field: NAME, direction: ASC }) {
    nodes { name orders { totalCount } lifetimeValue { amount } segments { name } campaigns { name } }
  }
}`;

let platform: ProcessPlatform;
let customerDatabase: Awaited<ReturnType<typeof startTcpProxy>>;

const gql = async (query: string, variables?: Record<string, unknown>) => postGraphQL(platform.gatewayUrl, query, variables, await userHeaders());
const ready = async () => (await (await fetch(platform.gatewayUrl.replace('/graphql', '/ready'))).json()) as { dependencies: Record<string, { status: string; breaker: string }> };

beforeAll(async () => {
  platform = await startProcessPlatform({
    gateway: { resilience: gatewayResilience },
    databaseUrl: async (name, url) => {
      if (name !== 'customer') return url;
      const target = new URL(url);
      customerDatabase = await startTcpProxy(target);
      target.hostname = '127.0.0.1';
      target.port = String(customerDatabase.port);
      return target.toString();
    },
  });
  // A subgraph's first queries compile Prisma's query plans; warm them up before the short limits count.
  await waitFor(async () => !(await gql(ACROSS_ALL)).body.errors, 'the platform to answer');
  // Set-up writes go straight to the subgraphs: mutations are never retried, so a first,
  // slow write through the gateway's time limit would leave the test unsure what exists.
  for (const name of ['Ada', 'Grace']) {
    expectNoErrors(await postGraphQL(platform.subgraphUrls.customer, 'mutation($name: String!) { createCustomer(input: { name: $name, tags: ["vip"] }) { id } }', { name }, await internalHeaders()));
  }
  expectNoErrors(await postGraphQL(platform.subgraphUrls.marketing, 'mutation { createSegment(input: { name: "VIP", rules: { tagsAny: ["vip"] } }) { id } }', undefined, await internalHeaders()));
});
afterAll(async () => {
  await platform?.stop();
  await customerDatabase?.stop();
});

describe('a failing subgraph costs clients only its own fields', () => {
  it('returns the other subgraphs\' data and a typed error naming the killed one, then fails fast, then heals', async () => {
    expectNoErrors(await gql(ACROSS_ALL));
    await platform.kill('sales');

    const partial = await gql(ACROSS_ALL);
    expect(partial.status).toBe(200);
    expect(partial.body.data!.customers.nodes).toEqual([
      { name: 'Ada', orders: null, lifetimeValue: null, segments: [{ name: 'VIP' }], campaigns: [] },
      { name: 'Grace', orders: null, lifetimeValue: null, segments: [{ name: 'VIP' }], campaigns: [] },
    ]);
    // Each missing field is named where it is missing, so a client can mark exactly those.
    expect(partial.body.errors?.map((error) => error.path)).toEqual([
      ['customers', 'nodes', 0, 'orders'],
      ['customers', 'nodes', 0, 'lifetimeValue'],
      ['customers', 'nodes', 1, 'orders'],
      ['customers', 'nodes', 1, 'lifetimeValue'],
    ]);
    for (const error of partial.body.errors!) expect(error.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', service: 'sales' });
    // Under the names the client gave, through its fragments.
    const aliased = await gql('{ customers(first: 5, orderBy: { field: NAME, direction: ASC }) { nodes { name ...Spend } } } fragment Spend on Customer { spent: lifetimeValue { amount } orders { totalCount } }');
    expect(aliased.body.errors?.map((error) => error.path)).toEqual([
      ['customers', 'nodes', 0, 'spent'],
      ['customers', 'nodes', 0, 'orders'],
      ['customers', 'nodes', 1, 'spent'],
      ['customers', 'nodes', 1, 'orders'],
    ]);
    // A field the client's @skip left out is not missing.
    const skipped = await gql('query($skip: Boolean!) { customers(first: 1, orderBy: { field: NAME, direction: ASC }) { nodes { orders @skip(if: $skip) { totalCount } lifetimeValue { amount } } } }', { skip: true });
    expect(skipped.body.errors?.map((error) => error.path)).toEqual([['customers', 'nodes', 0, 'lifetimeValue']]);
    // Variables left out take their declared defaults.
    for (const query of [
      'query($hide: Boolean = true) { customers(first: 1, orderBy: { field: NAME, direction: ASC }) { nodes { orders @skip(if: $hide) { totalCount } lifetimeValue { amount } } } }',
      'query($show: Boolean = false) { customers(first: 1, orderBy: { field: NAME, direction: ASC }) { nodes { orders @include(if: $show) { totalCount } lifetimeValue { amount } } } }',
    ]) {
      expect((await gql(query)).body.errors?.map((error) => error.path)).toEqual([['customers', 'nodes', 0, 'lifetimeValue']]);
    }
    const included = await gql('query($show: Boolean = true) { customers(first: 1, orderBy: { field: NAME, direction: ASC }) { nodes { orders @include(if: $show) { totalCount } } } }');
    expect(included.body.errors?.map((error) => error.path)).toEqual([['customers', 'nodes', 0, 'orders']]);
    const product = await gql('{ product(id: "00000000-0000-4000-8000-000000000000") { name } customers(first: 1) { totalCount } }');
    expect(product.body.data).toEqual({ product: null, customers: { totalCount: 2 } });
    expect(product.body.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([[['product'], 'SUBGRAPH_UNAVAILABLE']]);

    // Enough failures open the breaker; from then on the gateway does not call sales at all.
    await waitFor(async () => {
      const response = await gql(ACROSS_ALL);
      return response.body.errors?.[0].message.includes('its circuit is open') === true;
    }, 'the sales breaker to open');
    expect((await ready()).dependencies.sales).toEqual({ status: 'down', breaker: 'open' });
    // Once the breaker would let a probe through, the gateway asks sales' /ready first: a
    // subgraph that is not ready gets no probe, so it cannot fail it and reopen the breaker.
    await waitFor(async () => (await ready()).dependencies.sales.breaker === 'halfOpen', 'the sales breaker to go half-open');
    expect((await gql(ACROSS_ALL)).body.errors?.[0].message).toContain('its circuit is open until it reports ready');
    expect((await ready()).dependencies.sales).toEqual({ status: 'down', breaker: 'halfOpen' });

    // Writes to healthy subgraphs go on.
    const write = await gql('mutation { createCustomer(input: { name: "During outage" }) { name } }');
    expectNoErrors(write);
    const writeToDown = await gql('mutation { createProduct(input: { sku: "X", name: "X", price: { amount: "1", currency: "USD" } }) { id } }');
    expect(writeToDown.body.errors?.[0].extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', service: 'sales' });

    await platform.start('sales');
    await waitFor(async () => !(await gql(ACROSS_ALL)).body.errors, 'full data after sales restarts', 15_000);
    expect((await ready()).dependencies.sales).toEqual({ status: 'up', breaker: 'closed' });
  });

  it('bounds a subgraph that accepts connections and never answers by the timeout', async () => {
    const held = new Set<net.Socket>();
    const silent = net.createServer((socket) => held.add(socket));
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    let gateway: RunningServer | undefined;
    try {
      gateway = await startGateway({
        port: 0,
        subgraphUrls: { ...platform.subgraphUrls, marketing: `http://127.0.0.1:${port}/graphql` },
        resilience: gatewayResilience,
      });
      const response = await postGraphQL(gateway.url, ACROSS_ALL, undefined, await userHeaders());
      expect(response.status).toBe(200);
      expect(response.body.data!.customers.nodes[0]).toMatchObject({ name: 'Ada', orders: { totalCount: 0 }, segments: null, campaigns: null });
      expect(response.body.errors?.[0]).toMatchObject({ message: expect.stringContaining('no answer within 5000 ms'), extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'marketing' } });
    } finally {
      await gateway?.stop();
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('keeps a subgraph running while its database is away, with typed errors, and reconnects by itself', async () => {
    await customerDatabase.cut();
    const response = await gql('{ customers { totalCount } }');
    expect(response.status).toBe(200);
    expect(response.body.errors?.[0].extensions).toMatchObject({ code: 'DATABASE_UNAVAILABLE', service: 'customer' });
    const subgraphReady = await fetch(platform.subgraphUrls.customer.replace('/graphql', '/ready'));
    expect(subgraphReady.status).toBe(503);
    expect(await subgraphReady.json()).toMatchObject({ dependencies: { database: 'down' } });

    await customerDatabase.restore();
    await waitFor(async () => !(await gql('{ customers { totalCount } }')).body.errors, 'the customer subgraph to reconnect', 15_000);
    expect((await gql('{ customers { totalCount } }')).body.data!.customers.totalCount).toBe(3);
  });
});
