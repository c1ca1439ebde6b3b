import { Client } from 'pg';
import { DEMO_USERS, mintDevelopmentToken, type DemoUser } from '../gateway/src/authentication';
import { IDENTITY_HEADER, InternalIdentitySigner, secretFromEnv, type Identity } from '../lib/auth';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/config';
import { startPlatform, type Platform } from '../dev/platform';
import { provisionDatabases } from './databases';
import { testEventBroker } from './event-broker';

export type GraphQLResponse<T = Record<string, any>> = {
  status: number;
  body: { data?: T | null; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[] };
};

// Who a test request runs as: a demo user (admin unless said otherwise) or nobody.
export type Caller = DemoUser | 'anonymous';

export type TestPlatform = Platform & {
  databaseMode: 'postgres' | 'embedded';
  // Through the gateway with the caller's token.
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, as?: Caller): Promise<GraphQLResponse<T>>;
  // Straight to a subgraph, signed as the gateway would sign the caller.
  subgraphGql<T = Record<string, any>>(name: SubgraphName, query: string, variables?: Record<string, unknown>, as?: Caller): Promise<GraphQLResponse<T>>;
  sql<T = Record<string, unknown>>(name: SubgraphName, query: string, values?: unknown[]): Promise<T[]>;
  // Rows in every table of every subgraph (as 'sales.Order'): a rejected request must leave them all as they were.
  rowCounts(): Promise<Record<string, number>>;
  eventTransport: 'nats' | 'in-process';
  // Waits until every outbox is published and every consumer has applied what it was sent,
  // twice in a row (an applied event may write events of its own).
  settled(): Promise<void>;
};


// Every service of the platform on a port the system picks, so test files can run side by side.
export const FREE_PORTS = Object.fromEntries(['gateway', ...SUBGRAPH_NAMES].map((name) => [name, 0]));

// Starts the whole platform in this process on free ports.
export async function startTestPlatform(): Promise<TestPlatform> {
  const databases = await provisionDatabases();
  const broker = await testEventBroker();
  const platform = await startPlatform({ databaseUrls: databases.urls, dataDir: null, ports: FREE_PORTS, environment: broker.environment }).catch(async (error: unknown) => {
    await broker.cleanUp();
    await databases.drop();
    throw error;
  });
  const clients = new Map<SubgraphName, Client>();
  const testPlatform: TestPlatform = {
    ...platform,
    databaseMode: databases.mode,
    eventTransport: broker.kind,
    async settled() {
      let quietRounds = 0;
      for (let round = 0; quietRounds < 2; round++) {
        if (round > 2_000) throw new Error('the platform\'s events did not settle');
        const states = await Promise.all(SUBGRAPH_NAMES.map((name) => platform.subgraphs[name].events.settled()));
        quietRounds = states.every((state) => state.backlog === 0 && state.pending === 0) ? quietRounds + 1 : 0;
        if (quietRounds < 2) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    gql: async (query, variables, as = 'admin') => postGraphQL(platform.gatewayUrl, query, variables, await userHeaders(as)),
    subgraphGql: async (name, query, variables, as = 'admin') => postGraphQL(platform.subgraphs[name].url, query, variables, await internalHeaders(as)),
    async sql(name, query, values) {
      let client = clients.get(name);
      if (!client) {
        client = new Client({ connectionString: platform.databaseUrls[name] });
        await client.connect();
        clients.set(name, client);
      }
      return (await client.query(query, values)).rows;
    },
    async rowCounts() {
      // Events still in flight from earlier writes would change the inbox and read models.
      await testPlatform.settled();
      const counts: Record<string, number> = {};
      for (const name of SUBGRAPH_NAMES) {
        const tables = await testPlatform.sql<{ table_name: string }>(name, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY table_name");
        const [row] = await testPlatform.sql<Record<string, number>>(name, `SELECT ${tables.map(({ table_name: table }) => `(SELECT count(*) FROM "${table}")::int AS "${table}"`).join(', ')}`);
        // Every subgraph has its own outbox and inbox tables, so counts are named by database too.
        for (const [table, count] of Object.entries(row)) counts[`${name}.${table}`] = count;
      }
      return counts;
    },
    async stop() {
      for (const client of clients.values()) await client.end();
      await platform.stop();
      await broker.cleanUp();
      await databases.drop();
    },
  };
  return testPlatform;
}

export async function postGraphQL<T = Record<string, any>>(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return { status: response.status, body: (await response.json()) as GraphQLResponse<T>['body'] };
}

// The Authorization header a client of the gateway sends.
export async function userHeaders(as: Caller = 'admin'): Promise<Record<string, string>> {
  return as === 'anonymous' ? {} : { authorization: `Bearer ${await mintDevelopmentToken(as, '10m')}` };
}

const signer = new InternalIdentitySigner(secretFromEnv('INTERNAL_JWT_SECRET'));

// The signed identity header the gateway sends a subgraph.
export async function internalHeaders(as: Caller = 'admin'): Promise<Record<string, string>> {
  const identity: Identity = as === 'anonymous' ? { kind: 'anonymous' } : { kind: 'user', userId: DEMO_USERS[as].sub, roles: [...DEMO_USERS[as].roles] };
  return { [IDENTITY_HEADER]: await signer.sign(identity) };
}

export function expectNoErrors(response: GraphQLResponse): void {
  if (response.body.errors?.length) throw new Error(`Unexpected GraphQL errors: ${JSON.stringify(response.body.errors, null, 2)}`);
}
