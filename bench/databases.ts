import path from 'node:path';
import pg from 'pg';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/config';
import { firstMessage, ROOT, startProcess } from './processes';

export type Databases = { mode: 'postgres' | 'embedded'; urls: Record<SubgraphName, string> };

// Creates crm_bench_<name> on the server when missing; an existing one is kept, so that its data
// can be reused.
async function postgresDatabases(adminUrl: string): Promise<Record<SubgraphName, string>> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const urls = {} as Record<SubgraphName, string>;
    for (const name of SUBGRAPH_NAMES) {
      const database = `crm_bench_${name}`;
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (!rowCount) await admin.query(`CREATE DATABASE "${database}"`);
      const url = new URL(adminUrl);
      url.pathname = `/${database}`;
      urls[name] = url.toString();
    }
    return urls;
  } finally {
    await admin.end();
  }
}

async function embeddedDatabases(): Promise<Record<SubgraphName, string>> {
  const urls = await Promise.all(
    SUBGRAPH_NAMES.map((name) => {
      const child = startProcess({ name: `${name}-db`, args: ['--import', 'tsx', path.join(__dirname, 'embedded-db.ts'), path.join(ROOT, '.data', 'bench', name)], ipc: true });
      return firstMessage<string>(`${name}-db`, child);
    }),
  );
  return Object.fromEntries(SUBGRAPH_NAMES.map((name, index) => [name, urls[index]])) as Record<SubgraphName, string>;
}

export async function provideDatabases(adminUrl: string | undefined): Promise<Databases> {
  if (adminUrl) return { mode: 'postgres', urls: await postgresDatabases(adminUrl) };
  return { mode: 'embedded', urls: await embeddedDatabases() };
}
