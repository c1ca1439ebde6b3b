import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/config';
import { startEmbeddedPostgres } from '../dev/embedded-postgres';
import { diffMigrationsToSchema } from '../dev/migrations';
import { migrationsDir, prismaSchemaFile } from '../dev/subgraphs';

// `npm run migrate:create -- <subgraph> <name>`: writes the migration that takes the
// subgraph's migrations folder to its current Prisma schema, in Prisma's folder format.
// `npm run migrate:create -- --check` fails when any schema has changes without a migration.
// It replays the existing migrations on throwaway embedded databases, so it needs no server.
const EMPTY = /^(-- This is an empty migration\.?)?\s*$/;

// The engine does not see extensions in the database it replays migrations on, so it asks to
// create them again every time; an extension an earlier migration created is not a change.
function withoutCreatedExtensions(sql: string, name: SubgraphName): string {
  const dir = migrationsDir(name);
  const earlier = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => readFileSync(path.join(dir, entry.name, 'migration.sql'), 'utf8'))
    .join('\n');
  return sql.replace(/-- CreateExtension\nCREATE EXTENSION IF NOT EXISTS "(\w+)";\n+/g, (statement, extension: string) =>
    earlier.includes(`CREATE EXTENSION IF NOT EXISTS "${extension}"`) ? '' : statement,
  );
}

async function pendingSql(name: SubgraphName): Promise<string> {
  const datamodelPath = prismaSchemaFile(name);
  const [database, shadow] = await Promise.all([startEmbeddedPostgres({}), startEmbeddedPostgres({})]);
  try {
    const sql = await diffMigrationsToSchema({
      connectionString: database.connectionString,
      shadowConnectionString: shadow.connectionString,
      migrationsDir: migrationsDir(name),
      datamodel: readFileSync(datamodelPath, 'utf8'),
      datamodelPath,
    });
    return withoutCreatedExtensions(sql, name);
  } finally {
    await Promise.all([database.stop(), shadow.stop()]);
  }
}


async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--check') {
    let drift = false;
    for (const name of SUBGRAPH_NAMES) {
      const sql = await pendingSql(name);
      if (EMPTY.test(sql)) continue;
      drift = true;
      console.error(`prisma/${name}/schema.prisma has changes without a migration; run npm run migrate:create -- ${name} <name>:\n${sql}`);
    }
    if (drift) process.exit(1);
    console.log('Every Prisma schema matches its migrations.');
    return;
  }
  const [name, label] = args as [SubgraphName, string];
  if (!SUBGRAPH_NAMES.includes(name) || !label || !/^[a-z0-9_]+$/.test(label)) {
    console.error(`usage: npm run migrate:create -- <${SUBGRAPH_NAMES.join('|')}> <name_in_snake_case> | --check`);
    process.exit(2);
  }
  const sql = await pendingSql(name);
  if (EMPTY.test(sql)) {
    console.log(`prisma/${name}: the schema matches its migrations; nothing to create.`);
    return;
  }
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const dir = path.join(migrationsDir(name), `${stamp}_${label}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'migration.sql'), sql);
  console.log(`Created ${path.relative(process.cwd(), dir)}/migration.sql:\n\n${sql}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
