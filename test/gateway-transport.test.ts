import { createHash } from 'node:crypto';
import { expectNoErrors, startTestPlatform, userHeaders, type TestPlatform } from './harness';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(() => platform?.stop());

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url.replace('/graphql', '/metrics'))).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) || candidate.startsWith(`${name} `));
  return Number(line!.split(' ').pop());
}

describe('gateway transport', () => {
  it('reuses kept-alive connections to subgraphs across requests', async () => {
    const before = await metric(platform.subgraphs.sales.url, 'http_connections_total');
    for (let n = 0; n < 20; n++) {
      expectNoErrors(await platform.gql('{ customers(first: 2) { nodes { id lifetimeValue { amount } } } }'));
    }
    const opened = (await metric(platform.subgraphs.sales.url, 'http_connections_total')) - before;
    // 20 requests, each with a sales fetch, over at most a couple of pooled connections.
    expect(opened).toBeLessThanOrEqual(2);
  });

  it('serves automatic persisted queries: a known hash replaces the query text', async () => {
    const query = '{ products(first: 1) { totalCount } }';
    const extensions = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } };
    const post = async (body: object) => {
      const response = await fetch(platform.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...(await userHeaders()) }, body: JSON.stringify(body) });
      return (await response.json()) as { data?: unknown; errors?: { extensions: { code: string } }[] };
    };
    expect((await post({ extensions })).errors?.[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post({ query, extensions })).data).toEqual({ products: { totalCount: 0 } });
    expect(await post({ extensions })).toEqual({ data: { products: { totalCount: 0 } } });
  });
});
