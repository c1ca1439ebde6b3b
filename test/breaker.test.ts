import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { startGateway } from '../gateway/src/server';
import type { ResilienceOptions } from '../gateway/src/resilient-data-source';
import type { RunningServer } from '../lib/http-server';
import { postGraphQL, type GraphQLResponse } from './harness';
import { waitFor } from './process-platform';

const CAMPAIGNS = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query { campaignNames: [String!] }
`;
const QUERY = '{ campaignNames }';

type Answer = { status: number; body: string; contentType?: string };
const json = (status: number, body: object): Answer => ({ status, body: JSON.stringify(body), contentType: 'application/json; charset=utf-8' });
const HEALTHY = json(200, { data: { campaignNames: ['Spring'] } });

// A marketing subgraph whose every answer the test chooses; it counts the GraphQL requests it
// receives, and its /ready answers 503 until the test says it is ready.
class FakeSubgraph {
  answer: Answer = HEALTHY;
  ready = true;
  graphqlRequests = 0;
  // GraphQL calls that arrive before /ready says 200 stand for a cold start: they get no answer
  // until the subgraph is ready.
  graphqlRequestsBeforeReady = 0;
  private readonly held: (() => void)[] = [];
  private readonly server: Server = createServer((req, res) => this.handle(req, res));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/graphql`;
  }

  becomeReady(): void {
    this.ready = true;
    for (const release of this.held.splice(0)) release();
  }

  async stop(): Promise<void> {
    this.becomeReady();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.url === '/ready') {
      res.writeHead(this.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: this.ready ? 'ready' : 'unavailable' }));
      return;
    }
    req.resume();
    req.on('end', () => {
      this.graphqlRequests++;
      const respond = () => res.writeHead(this.answer.status, this.answer.contentType ? { 'content-type': this.answer.contentType } : {}).end(this.answer.body);
      if (this.ready) return respond();
      this.graphqlRequestsBeforeReady++;
      this.held.push(respond);
    });
  }
}

const supergraph = composeServices([{ name: 'marketing', url: 'http://marketing.invalid/graphql', typeDefs: parse(CAMPAIGNS) }]);
// The time limit is generous so a loaded machine never hits it: every failure here is chosen.
const RESILIENCE: ResilienceOptions = { timeoutMs: 20_000, retries: 2, errorThresholdPercentage: 50, volumeThreshold: 3, resetTimeoutMs: 60_000, apq: false };

const opened: { gateway: RunningServer; subgraph: FakeSubgraph }[] = [];
afterAll(async () => {
  for (const { gateway, subgraph } of opened) {
    await gateway.stop();
    await subgraph.stop();
  }
});

async function gatewayOverFake(resilience: Partial<ResilienceOptions> = {}) {
  if (supergraph.errors) throw new Error(supergraph.errors.join('\n'));
  const subgraph = new FakeSubgraph();
  const url = await subgraph.start();
  const gateway = await startGateway({
    port: 0,
    supergraphSdl: supergraph.supergraphSdl,
    // Only marketing is in this supergraph; the other URLs feed the gateway's /ready alone.
    subgraphUrls: { marketing: url, customer: 'http://127.0.0.1:9/graphql', sales: 'http://127.0.0.1:9/graphql' },
    resilience: { marketing: { ...RESILIENCE, ...resilience } },
  });
  opened.push({ gateway, subgraph });
  const ask = () => postGraphQL(gateway.url, QUERY);
  const breaker = async () => ((await (await fetch(gateway.url.replace('/graphql', '/ready'))).json()) as { dependencies: Record<string, { breaker: string }> }).dependencies.marketing.breaker;
  return { subgraph, ask, breaker };
}

const firstError = (response: GraphQLResponse) => response.body.errors?.[0];
const SENT = 10;

describe('which subgraph failures count against its breaker', () => {
  it.each<[string, Answer, string, string]>([
    ['413 (a body over its limit)', json(413, { errors: [{ message: 'request entity too large', extensions: { code: 'BAD_REQUEST' } }] }), 'BAD_REQUEST', 'The marketing service refused the request: the request is larger than it accepts'],
    ['400 with GraphQL errors', json(400, { errors: [{ message: 'Variable "$id" got invalid value', extensions: { code: 'BAD_USER_INPUT' } }] }), 'BAD_USER_INPUT', 'Variable "$id" got invalid value'],
    ['400 without a GraphQL body', { status: 400, body: 'Bad Request' }, 'BAD_REQUEST', 'The marketing service refused the request: it answered HTTP 400'],
    ['403', { status: 403, body: 'Forbidden' }, 'BAD_REQUEST', 'The marketing service refused the request: it answered HTTP 403'],
    // No client causes this one; the operator has to fix the secret, so it reads as an outage.
    ['401 (the gateway’s identity refused)', { status: 401, body: 'Unauthorized' }, 'SUBGRAPH_UNAVAILABLE', 'The marketing service is unavailable: it refused the gateway’s identity'],
  ])('passes a %s on, sent once and never counted', async (_case, answer, code, message) => {
    const { subgraph, ask, breaker } = await gatewayOverFake();
    subgraph.answer = answer;
    for (let n = 0; n < SENT; n++) {
      const response = await ask();
      expect(response.status).toBe(200);
      expect(response.body.data).toEqual({ campaignNames: null });
      expect(firstError(response)).toMatchObject({ message: expect.stringContaining(message), extensions: { code, serviceName: 'marketing' } });
    }
    expect(subgraph.graphqlRequests).toBe(SENT);
    expect(await breaker()).toBe('closed');
  });

  it.each([
    ['BAD_USER_INPUT', 'first: must be at most 100'],
    ['FORBIDDEN', 'needs the marketing scope'],
    ['QUERY_TIMEOUT', 'The marketing database stopped a statement that ran past its time limit; ask for less or try again'],
  ])('passes GraphQL errors in a 200 answer (%s) on, sent once and never counted', async (code, message) => {
    const { subgraph, ask, breaker } = await gatewayOverFake();
    subgraph.answer = json(200, { data: { campaignNames: null }, errors: [{ message, path: ['campaignNames'], extensions: { code } }] });
    for (let n = 0; n < SENT; n++) expect(firstError(await ask())).toMatchObject({ message, extensions: { code } });
    expect(subgraph.graphqlRequests).toBe(SENT);
    expect(await breaker()).toBe('closed');
  });

  // The control for the cases above: the same thresholds do open the breaker on an outage.
  it('retries a 500 and counts it, so an erroring subgraph opens its breaker', async () => {
    const { subgraph, ask, breaker } = await gatewayOverFake();
    subgraph.answer = { status: 500, body: 'Internal Server Error' };
    for (let n = 0; n < RESILIENCE.volumeThreshold; n++) {
      expect(firstError(await ask())?.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', service: 'marketing' });
    }
    expect(await breaker()).toBe('open');
    const attempts = RESILIENCE.volumeThreshold * (RESILIENCE.retries + 1);
    expect(subgraph.graphqlRequests).toBe(attempts);
    expect(firstError(await ask())?.message).toContain('its circuit is open');
    expect(subgraph.graphqlRequests).toBe(attempts);
  });
});

describe('recovery after a subgraph restarts', () => {
  it('sends the half-open probe only once the subgraph reports ready, and closes through it', async () => {
    const { subgraph, ask, breaker } = await gatewayOverFake({ resetTimeoutMs: 200 });
    subgraph.answer = { status: 503, body: 'Service Unavailable' };
    for (let n = 0; n < RESILIENCE.volumeThreshold; n++) await ask();
    expect(await breaker()).not.toBe('closed');

    // The restarted subgraph is up but still warming: /ready says 503 and GraphQL would be slow.
    subgraph.ready = false;
    subgraph.answer = HEALTHY;
    await waitFor(async () => (await breaker()) === 'halfOpen', 'the marketing breaker to let a probe through');
    const sentBeforeReady = subgraph.graphqlRequests;
    for (let n = 0; n < 5; n++) {
      expect(firstError(await ask())).toMatchObject({ message: expect.stringContaining('until it reports ready'), extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'marketing' } });
    }
    expect(subgraph.graphqlRequests).toBe(sentBeforeReady);
    expect(await breaker()).toBe('halfOpen');

    subgraph.becomeReady();
    const probe = await ask();
    expect(probe.body).toEqual({ data: { campaignNames: ['Spring'] } });
    expect(await breaker()).toBe('closed');
    expect(subgraph.graphqlRequestsBeforeReady).toBe(0);
  });
});
