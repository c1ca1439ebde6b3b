import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/config';
import { startPlatform, type Platform } from '../lib/platform';

const ADMIN_URL = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type GraphQLResponse<T = Record<string, any>> = {
  status: number;
  body: { data?: T | null; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[] };
};

export type TestPlatform = Platform & {
  databaseMode: 'postgres' | 'embedded';
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, url?: string): Promise<GraphQLResponse<T>>;
  sql<T = Record<string, unknown>>(name: SubgraphName, query: string, values?: unknown[]): Promise<T[]>;
};

async function postgresReachable(): Promise<boolean> {
  const client = new Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 1_500 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// TEST_DATABASE=postgres insists on the real server (CI), =embedded forces PGlite; by default
// the tests use PostgreSQL when it answers and the embedded database otherwise.
async function databaseMode(): Promise<'postgres' | 'embedded'> {
  const wanted = process.env.TEST_DATABASE;
  if (wanted === 'embedded') return 'embedded';
  const reachable = await postgresReachable();
  if (wanted === 'postgres' && !reachable) throw new Error(`TEST_DATABASE=postgres but ${ADMIN_URL} does not answer`);
  return reachable ? 'postgres' : 'embedded';
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export type TestDatabases = { mode: 'postgres' | 'embedded'; urls: Partial<Record<SubgraphName, string>>; drop(): Promise<void> };

// A database of its own for each subgraph: created on the PostgreSQL server and dropped
// afterwards, or left to startPlatform to make in memory when there is no server.
export async function provisionDatabases(): Promise<TestDatabases> {
  const mode = await databaseMode();
  const databases: string[] = [];
  const urls: Partial<Record<SubgraphName, string>> = {};
  if (mode === 'postgres') {
    const prefix = `crm_test_${process.pid}_${randomBytes(3).toString('hex')}`;
    await admin(async (client) => {
      for (const name of SUBGRAPH_NAMES) {
        const database = `${prefix}_${name}`;
        await client.query(`CREATE DATABASE "${database}"`);
        databases.push(database);
        const url = new URL(ADMIN_URL);
        url.pathname = `/${database}`;
        urls[name] = url.toString();
      }
    });
  }
  return {
    mode,
    urls,
    async drop() {
      if (!databases.length) return;
      await admin(async (client) => {
        for (const database of databases) await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      });
    },
  };
}

// Starts the whole platform in this process on free ports.
export async function startTestPlatform(): Promise<TestPlatform> {
  const databases = await provisionDatabases();
  const platform = await startPlatform({ databaseUrls: databases.urls, dataDir: null, ports: { gateway: 0, customer: 0, sales: 0, marketing: 0 } });
  const clients = new Map<SubgraphName, Client>();
  return {
    ...platform,
    databaseMode: databases.mode,
    gql: (query, variables, url = platform.gatewayUrl) => postGraphQL(url, query, variables),
    async sql(name, query, values) {
      let client = clients.get(name);
      if (!client) {
        client = new Client({ connectionString: platform.databaseUrls[name] });
        await client.connect();
        clients.set(name, client);
      }
      return (await client.query(query, values)).rows;
    },
    async stop() {
      for (const client of clients.values()) await client.end();
      await platform.stop();
      await databases.drop();
    },
  };
}

export async function postGraphQL<T = Record<string, any>>(url: string, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return { status: response.status, body: (await response.json()) as GraphQLResponse<T>['body'] };
}

export function expectNoErrors(response: GraphQLResponse): void {
  if (response.body.errors?.length) throw new Error(`Unexpected GraphQL errors: ${JSON.stringify(response.body.errors, null, 2)}`);
}
