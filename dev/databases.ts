import { readFileSync } from 'node:fs';
import path from 'node:path';
import { processSettings, type SubgraphName } from '../lib/config';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
import { applyMigrations } from './migrations';
import { migrationsDir, prismaSchemaFile, ROOT } from './subgraphs';

export async function migrateDatabase(name: SubgraphName, connectionString: string): Promise<string[]> {
  const datamodelPath = prismaSchemaFile(name);
  return applyMigrations({
    connectionString,
    migrationsDir: migrationsDir(name),
    datamodel: readFileSync(datamodelPath, 'utf8'),
    datamodelPath,
  });
}

// A subgraph's embedded database, kept in <dataDir>/<subgraph> (DATA_DIR, or .data, by default)
// or in memory when dataDir is null.
export function startSubgraphEmbeddedDatabase(name: SubgraphName, dataDir?: string | null): Promise<EmbeddedPostgres> {
  return startEmbeddedPostgres({ dataDir: dataDir === null ? undefined : path.join(dataDir ?? processSettings().dev.dataDir ?? path.join(ROOT, '.data'), name) });
}

