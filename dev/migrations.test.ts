import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createServerDatabase, databaseMode } from '../test/databases';
import { startEmbeddedPostgres } from './embedded-postgres';
import { applyMigrations, diffMigrationsToSchema, diffSchemaToSql } from './migrations';

const schemaPath = 'schema.prisma';
const widgetSchema = `datasource db {
  provider = "postgresql"
}

model Widget {
  id   Int    @id @default(autoincrement())
  name String
}
`;

async function query<T extends pg.QueryResultRow>(connectionString: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

// The platform tests' switch: PostgreSQL when it answers (or TEST_DATABASE=postgres), PGlite otherwise.
async function freshDatabase(): Promise<{ connectionString: string; drop(): Promise<void> }> {
  if ((await databaseMode()) === 'embedded') {
    const embedded = await startEmbeddedPostgres({});
    return { connectionString: embedded.connectionString, drop: () => embedded.stop() };
  }
  const database = await createServerDatabase('crm_mig_test');
  return { connectionString: database.url, drop: database.drop };
}

describe('migrations', () => {
  let database: { connectionString: string; drop(): Promise<void> } | undefined;
  let connectionString: string;
  let migrationsDir: string;

  beforeAll(async () => {
    database = await freshDatabase();
    connectionString = database.connectionString;
    migrationsDir = await mkdtemp(path.join(os.tmpdir(), 'crm-migrations-'));
    const init = await diffSchemaToSql({ fromDatamodel: null, toDatamodel: widgetSchema, path: schemaPath });
    await mkdir(path.join(migrationsDir, '20260101000000_init'));
    await writeFile(path.join(migrationsDir, '20260101000000_init', 'migration.sql'), init);
    await writeFile(path.join(migrationsDir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  });

  afterAll(async () => {
    await database?.drop();
    await rm(migrationsDir, { recursive: true, force: true });
  });

  it('applies pending migrations once and records them like prisma migrate deploy', async () => {
    const options = { connectionString, migrationsDir, datamodel: widgetSchema, datamodelPath: schemaPath };

    expect(await applyMigrations(options)).toEqual(['20260101000000_init']);
    const tables = await query<{ table_name: string }>(connectionString, `SELECT table_name FROM information_schema.tables WHERE table_name = 'Widget'`);
    expect(tables).toHaveLength(1);

    expect(await applyMigrations(options)).toEqual([]);
    const recorded = await query<{ migration_name: string; finished_at: Date | null }>(
      connectionString,
      'SELECT migration_name, finished_at FROM _prisma_migrations',
    );
    expect(recorded).toHaveLength(1);
    expect(recorded[0].migration_name).toBe('20260101000000_init');
    expect(recorded[0].finished_at).toBeInstanceOf(Date);
  });

  it('runs a hand-written migration whole, semicolons in strings and blocks included', async () => {
    await mkdir(path.join(migrationsDir, '20260102000000_comment'));
    await writeFile(
      path.join(migrationsDir, '20260102000000_comment', 'migration.sql'),
      `DO $$ BEGIN EXECUTE 'COMMENT ON TABLE "Widget" IS ''parts; bins'''; END $$;\n`,
    );

    const applied = await applyMigrations({ connectionString, migrationsDir, datamodel: widgetSchema, datamodelPath: schemaPath });

    expect(applied).toEqual(['20260102000000_comment']);
    const [{ comment }] = await query<{ comment: string }>(connectionString, `SELECT obj_description('"Widget"'::regclass) AS comment`);
    expect(comment).toBe('parts; bins');
  });

  it('diffs two datamodels without a database', async () => {
    const withColor = widgetSchema.replace('name String', 'name  String\n  color String?');

    const sql = await diffSchemaToSql({ fromDatamodel: widgetSchema, toDatamodel: withColor, path: schemaPath });

    expect(sql).toMatch(/ALTER TABLE "Widget" ADD COLUMN\s+"color" TEXT;/);
  });

  // The engine leaves what it replayed in the shadow database, so each diff gets fresh ones.
  it('writes the next migration from the migrations folder to a changed datamodel', async () => {
    const diff = async (datamodel: string) => {
      const [target, shadow] = await Promise.all([freshDatabase(), freshDatabase()]);
      try {
        return await diffMigrationsToSchema({ connectionString: target.connectionString, shadowConnectionString: shadow.connectionString, migrationsDir, datamodel, datamodelPath: schemaPath });
      } finally {
        await Promise.all([target.drop(), shadow.drop()]);
      }
    };
    expect(await diff(widgetSchema.replace('name String', 'name  String\n  color String?'))).toMatch(/ALTER TABLE "Widget" ADD COLUMN\s+"color" TEXT;/);
    expect(await diff(widgetSchema)).not.toMatch(/ALTER|CREATE/);
  });
});
