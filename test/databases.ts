import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/config';

// Where tests get their databases: the PostgreSQL server when it answers, embedded otherwise.
const ADMIN_URL = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

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
export async function databaseMode(): Promise<'postgres' | 'embedded'> {
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

// One database on the server, named after its purpose, dropped by drop().
export async function createServerDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const database = `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE "${database}"`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return { url: url.toString(), drop: () => admin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`))) };
}

export type TestDatabases = { mode: 'postgres' | 'embedded'; urls: Partial<Record<SubgraphName, string>>; drop(): Promise<void> };

// A database of its own for each subgraph: created on the PostgreSQL server and dropped
// afterwards, or left to startPlatform to make in memory when there is no server.
export async function provisionDatabases(): Promise<TestDatabases> {
  const mode = await databaseMode();
  const created = mode === 'postgres' ? await Promise.all(SUBGRAPH_NAMES.map((name) => createServerDatabase(`crm_test_${name}`))) : [];
  const urls: Partial<Record<SubgraphName, string>> = Object.fromEntries(created.map((database, index) => [SUBGRAPH_NAMES[index], database.url]));
  return {
    mode,
    urls,
    async drop() {
      for (const database of created) await database.drop();
    },
  };
}

