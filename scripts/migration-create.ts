import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/config';
import { startEmbeddedPostgres } from '../lib/embedded-postgres';
import { diffMigrationsToSchema } from '../lib/migrations';
import { prismaSchemaFile } from '../lib/platform';

// `npm run migrate:create -- <subgraph> <name>`: writes the migration that takes the
// subgraph's migrations folder to its current Prisma schema, in Prisma's folder format.
// It replays the existing migrations on throwaway embedded databases, so it needs no server.
async function main() {
  const [name, label] = process.argv.slice(2);
  if (!SUBGRAPH_NAMES.includes(name as SubgraphName) || !label || !/^[a-z0-9_]+$/.test(label)) {
    console.error(`usage: npm run migrate:create -- <${SUBGRAPH_NAMES.join('|')}> <name_in_snake_case>`);
    process.exit(2);
  }
  const datamodelPath = prismaSchemaFile(name as SubgraphName);
  const migrationsDir = path.join(path.dirname(datamodelPath), 'migrations');
  const [database, shadow] = await Promise.all([startEmbeddedPostgres({}), startEmbeddedPostgres({})]);
  try {
    const sql = await diffMigrationsToSchema({
      connectionString: database.connectionString,
      shadowConnectionString: shadow.connectionString,
      migrationsDir,
      datamodel: readFileSync(datamodelPath, 'utf8'),
      datamodelPath,
    });
    if (!sql.trim() || /^-- This is an empty migration\.?\s*$/.test(sql.trim())) {
      console.log(`prisma/${name}: the schema matches its migrations; nothing to create.`);
      return;
    }
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const dir = path.join(migrationsDir, `${stamp}_${label}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'migration.sql'), sql);
    console.log(`Created ${path.relative(process.cwd(), dir)}/migration.sql:\n\n${sql}`);
  } finally {
    await Promise.all([database.stop(), shadow.stop()]);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
