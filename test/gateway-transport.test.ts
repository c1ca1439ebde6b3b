import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadSettings } from '../lib/config';
import { startGateway } from '../gateway/src/server';
import { IDENTITY_HEADER } from '../lib/auth';
import type { RunningServer } from '../lib/http-server';
import { expectNoErrors, postGraphQL, startTestPlatform, userHeaders, type TestPlatform } from './harness';

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

  it('sends a subgraph with APQ turned on the hash of a query it has seen instead of the text', async () => {
    const sent: { query?: string; extensions?: { persistedQuery?: unknown } }[] = [];
    // Records what the gateway sends the sales subgraph on the way there.
    const recorder = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString();
      sent.push(JSON.parse(body));
      const answer = await fetch(platform.subgraphs.sales.url, { method: 'POST', headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: String(req.headers[IDENTITY_HEADER]) }, body });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(await answer.text());
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    let gateway: RunningServer | undefined;
    try {
      gateway = await startGateway({
        port: 0,
        subgraphUrls: { customer: platform.subgraphs.customer.url, marketing: platform.subgraphs.marketing.url, sales: `http://127.0.0.1:${(recorder.address() as AddressInfo).port}/graphql` },
        resilience: { sales: { ...loadSettings().resilience.sales, apq: true } },
      });
      for (let n = 0; n < 3; n++) expectNoErrors(await postGraphQL(gateway.url, '{ products(first: 1) { totalCount } }', undefined, await userHeaders()));
      // The first call's hash is unknown (PersistedQueryNotFound), so the text follows; later calls send the hash alone.
      expect(sent.map((body) => (body.query ? 'text' : 'hash'))).toEqual(['hash', 'text', 'hash', 'hash']);
      expect(sent.every((body) => body.extensions?.persistedQuery)).toBe(true);
    } finally {
      await gateway?.stop();
      await new Promise((resolve) => recorder.close(resolve));
    }
  });
});
