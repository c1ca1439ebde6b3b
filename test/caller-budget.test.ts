import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { ApolloServer, type GraphQLResponse as ApolloResponse } from '@apollo/server';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { execute, graphql, parse, printSchema } from 'graphql';
import { operationLimits, type CallerContext } from '../gateway/src/operation-limits';
import { startGateway } from '../gateway/src/server';
import { loadSettings, type ResilienceOptions } from '../lib/config';
import type { RunningServer } from '../lib/http-server';
import { logger } from '../lib/logger';
import { userHeaders, type Caller } from './harness';
import { waitFor } from './process-platform';

const TYPE_DEFS = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query { items(first: Int): [Item!]! }
  type Mutation { addItems(first: Int): [Item!]! }
  type Item { name: String! }
`);
const ITEMS = () => [{ name: 'one' }];
const subgraphSchema = buildSubgraphSchema({ typeDefs: TYPE_DEFS, resolvers: { Query: { items: ITEMS }, Mutation: { addItems: ITEMS } } });

// A page of 1000 costs 1 + 1000 × its one field; two fit the budget at once, three do not.
const COSTLY = '{ items(first: 1000) { name } }';
const COSTLY_COST = 1_001;
const BUDGET = 3_000;
// Costs the whole budget: it runs only when nothing else of the caller's is in flight.
const WHOLE_BUDGET = '{ a: items(first: 1000) { name } b: items(first: 1000) { name } c: items(first: 997) { name } }';
const settings = loadSettings({ ...process.env, MAX_QUERY_COST: String(BUDGET), MAX_CALLER_INFLIGHT_COST: String(BUDGET) });

type Mode = 'answer' | 'hold' | 'fail' | 'drop';

// The sales subgraph, answering as the test says: at once, only when released, with a 502, or
// by dropping the connection. It counts the GraphQL requests it was sent.
class FakeSubgraph {
  mode: Mode = 'answer';
  requests = 0;
  private readonly held: (() => void)[] = [];
  private readonly server: Server = createServer((req, res) => this.handle(req, res));

  get holding(): number {
    return this.held.length;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/graphql`;
  }

  release(): void {
    this.mode = 'answer';
    for (const respond of this.held.splice(0)) respond();
  }

  async stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.url === '/ready') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}');
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.requests++;
      const respond = async () => {
        const { query, variables } = JSON.parse(Buffer.concat(chunks).toString());
        const result = await graphql({ schema: subgraphSchema, source: query, variableValues: variables });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
      };
      if (this.mode === 'answer') return void respond();
      if (this.mode === 'hold') return void this.held.push(() => void respond());
      if (this.mode === 'fail') return void res.writeHead(502).end('Bad Gateway');
      req.socket.destroy();
    });
  }
}

const supergraph = composeServices([{ name: 'sales', url: 'http://sales.invalid/graphql', typeDefs: TYPE_DEFS }]);
// The breaker never opens here, so every answer shows what the budget did.
const RESILIENCE: ResilienceOptions = { timeoutMs: 60_000, retries: 0, errorThresholdPercentage: 100, volumeThreshold: 10_000, resetTimeoutMs: 60_000, apq: false };

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
    settings,
    supergraphSdl: supergraph.supergraphSdl,
    subgraphUrls: { sales: url, customer: 'http://127.0.0.1:9/graphql', marketing: 'http://127.0.0.1:9/graphql' },
    resilience: { sales: { ...RESILIENCE, ...resilience } },
  });
  opened.push({ gateway, subgraph });
  return { gateway, subgraph };
}

type Answer = { status: number; retryAfter: string | null; body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] } };

async function ask(gateway: RunningServer, query: string, as: Caller, signal?: AbortSignal): Promise<Answer> {
  const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await userHeaders(as)) }, body: JSON.stringify({ query }), signal });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Answer['body'] };
}

const refused = (answer: Answer) => answer.status === 429 && answer.body.errors?.[0]?.extensions?.code === 'RATE_LIMITED';
const served = (answer: Answer) => answer.status === 200 && !answer.body.errors && !!answer.body.data;
const subgraphFailed = (answer: Answer) => answer.body.errors?.some((error) => error.extensions?.code === 'SUBGRAPH_UNAVAILABLE') ?? false;

// Nothing of the caller's may be left in flight: an operation costing the whole budget runs.
async function expectWholeBudget(gateway: RunningServer, as: Caller): Promise<void> {
  expect(served(await ask(gateway, WHOLE_BUDGET, as))).toBe(true);
  for (let n = 0; n < 6; n++) expect(served(await ask(gateway, COSTLY, as))).toBe(true);
}

describe('the budget of operation cost one caller may have in flight', () => {
  it('runs as many of one caller’s costly operations at once as the budget holds and refuses the rest with 429 before any subgraph is asked, while other callers are served', async () => {
    const { gateway, subgraph } = await gatewayOverFake();
    subgraph.mode = 'hold';
    const answered: Answer[] = [];
    const viewers = Array.from({ length: 6 }, () => ask(gateway, COSTLY, 'viewer').then((answer) => (answered.push(answer), answer)));
    await waitFor(async () => subgraph.holding + answered.length === 6, 'every request to be held by the subgraph or answered');
    expect(subgraph.holding).toBe(Math.floor(BUDGET / COSTLY_COST));
    expect(answered).toHaveLength(4);
    for (const answer of answered) {
      expect(refused(answer)).toBe(true);
      expect(answer.retryAfter).toBe('1');
      expect(answer.body.data).toBeUndefined();
      expect(answer.body.errors![0]).toMatchObject({ message: expect.stringContaining('retry when your earlier requests finish'), extensions: { cost: COSTLY_COST, maxInFlightCost: BUDGET } });
    }
    // Mutations count as queries do; cheap operations still fit what is left.
    expect(refused(await ask(gateway, 'mutation { addItems(first: 1000) { name } }', 'viewer'))).toBe(true);
    expect(served(await ask(gateway, '{ __typename }', 'viewer'))).toBe(true);

    // Another user, and a caller without a token, have budgets of their own.
    const others = [ask(gateway, COSTLY, 'admin'), ask(gateway, COSTLY, 'anonymous')];
    await waitFor(async () => subgraph.holding === 4, 'the other callers’ requests to reach the subgraph');
    subgraph.release();
    for (const answer of await Promise.all([...viewers, ...others])) expect(refused(answer) || served(answer)).toBe(true);
    for (const answer of await Promise.all(others)) expect(served(answer)).toBe(true);
    expect(subgraph.requests).toBe(4);

    await expectWholeBudget(gateway, 'viewer');
  });

  it('is given back however the operations end: subgraph errors, dropped connections, clients that disconnect, time-outs', async () => {
    const { gateway, subgraph } = await gatewayOverFake();
    for (const mode of ['fail', 'drop'] as const) {
      subgraph.mode = mode;
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all(Array.from({ length: 6 }, () => ask(gateway, COSTLY, 'viewer')));
        for (const answer of answers) expect(refused(answer) || subgraphFailed(answer)).toBe(true);
        expect(answers.some(subgraphFailed)).toBe(true);
      }
    }
    subgraph.mode = 'answer';
    await expectWholeBudget(gateway, 'viewer');

    // The gateway keeps working for a client that went away, so its cost stays reserved until
    // that work ends: hanging up and sending again does not get round the budget.
    subgraph.mode = 'hold';
    const clients = [new AbortController(), new AbortController()];
    const abandoned = clients.map((client) => ask(gateway, COSTLY, 'viewer', client.signal).catch((error: Error) => error.name));
    await waitFor(async () => subgraph.holding === 2, 'both requests to reach the subgraph');
    for (const client of clients) client.abort();
    expect(await Promise.all(abandoned)).toEqual(['AbortError', 'AbortError']);
    expect(refused(await ask(gateway, COSTLY, 'viewer'))).toBe(true);
    subgraph.release();
    await waitFor(async () => served(await ask(gateway, WHOLE_BUDGET, 'viewer')), 'the abandoned operations to end');
    await expectWholeBudget(gateway, 'viewer');

    const impatient = await gatewayOverFake({ timeoutMs: 200 });
    impatient.subgraph.mode = 'hold';
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(Array.from({ length: 6 }, () => ask(impatient.gateway, COSTLY, 'viewer')));
      for (const answer of answers) expect(refused(answer) || subgraphFailed(answer)).toBe(true);
      expect(answers.some(subgraphFailed)).toBe(true);
    }
    impatient.subgraph.release();
    await expectWholeBudget(impatient.gateway, 'viewer');
  });

  it('is given back when execution throws and when the request pipeline itself fails', async () => {
    let held: Promise<void> | undefined;
    let executions = 0;
    let failAtExecutionStart = false;
    // A gateway whose executor waits for the test and then throws, as a broken connection would.
    const gateway: GatewayInterface = {
      onSchemaLoadOrUpdate: (callback) => {
        callback({ apiSchema: subgraphSchema, coreSupergraphSdl: printSchema(subgraphSchema) });
        return () => {};
      },
      load: async () => ({
        executor: async ({ document, request }) => {
          executions++;
          await held;
          return execute({ schema: subgraphSchema, document, variableValues: request.variables });
        },
      }),
      stop: async () => {},
    };
    const limits = operationLimits(settings.gateway, false);
    const server = new ApolloServer<CallerContext>({
      gateway,
      logger,
      plugins: [
        ...limits.plugins,
        {
          async requestDidStart() {
            return {
              async executionDidStart() {
                if (failAtExecutionStart) throw new Error('a plugin failed');
              },
            };
          },
        },
      ],
      validationRules: limits.validationRules,
    });
    await server.start();
    try {
      const contextValue: CallerContext = { identity: { kind: 'user', userId: 'u1', roles: ['VIEWER'] } };
      const run = (query: string) => server.executeOperation({ query }, { contextValue });
      const status = (response: ApolloResponse) => response.http.status;
      const errorCode = (response: ApolloResponse) => (response.body.kind === 'single' ? response.body.singleResult.errors?.[0]?.extensions?.code : undefined);

      let fail!: (error: Error) => void;
      held = new Promise<void>((_resolve, reject) => (fail = reject));
      const running = [run(COSTLY), run(COSTLY)];
      await waitFor(async () => executions === 2, 'both operations to start executing');
      expect(errorCode(await run(COSTLY))).toBe('RATE_LIMITED');
      fail(new Error('connection reset'));
      for (const response of await Promise.all(running)) expect(status(response)).toBe(500);
      held = undefined;

      failAtExecutionStart = true;
      for (let n = 0; n < 3; n++) await expect(run(COSTLY)).rejects.toThrow('Internal server error');
      failAtExecutionStart = false;

      const whole = await run(WHOLE_BUDGET);
      expect(whole.body.kind === 'single' && whole.body.singleResult.errors).toBeFalsy();
    } finally {
      await server.stop();
    }
  });
});
