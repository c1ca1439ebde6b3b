import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from './embedded-postgres';
import { applyMigrations, diffMigrationsToSchema, diffSchemaToSql } from './migrations';

const adminUrl = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schemaPath = 'schema.prisma';
const widgetSchema = `datasource db {
  provider = "postgresql"
}

model Widget {
  id   Int    @id @default(autoincrement())
  name String
}
`;

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function query<T extends pg.QueryResultRow>(connectionString: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 1_500 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// Same switch as the platform tests: TEST_DATABASE=postgres insists on the real server (CI),
// =embedded forces PGlite, and by default PGlite stands in only when PostgreSQL does not answer.
async function freshDatabase(): Promise<{ connectionString: string; drop(): Promise<void> }> {
  const wanted = process.env.TEST_DATABASE;
  const reachable = wanted !== 'embedded' && (await postgresReachable());
  if (wanted === 'postgres' && !reachable) throw new Error(`TEST_DATABASE=postgres but ${adminUrl} does not answer`);
  if (!reachable) {
    const embedded = await startEmbeddedPostgres({});
    return { connectionString: embedded.connectionString, drop: () => embedded.stop() };
  }
  const database = `crm_mig_test_${randomBytes(6).toString('hex')}`;
  await query(adminUrl, `CREATE DATABASE ${database}`);
  return {
    connectionString: withDatabase(adminUrl, database),
    drop: async () => {
      await query(adminUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    },
  };
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
