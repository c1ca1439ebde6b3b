import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  DriverAdapterError,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { DiffTarget, MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';
import pg from 'pg';

type SchemaEngineBindings = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

// The ES2022 lib without DOM types declares no WebAssembly; this is the part used here.
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: { __wbindgen_start(): void } } }>;
};

const noFilters = { externalTables: [], externalEnums: [] };

let bindings: Promise<SchemaEngineBindings> | undefined;

// The package's entry imports the .wasm file as an ES module, which only bundlers understand,
// so the generated bindings are wired to the module by hand.
function loadSchemaEngine(): Promise<SchemaEngineBindings> {
  bindings ??= (async () => {
    // A Rust panic reports its message to this registry before the Wasm instance traps. Prisma
    // Client installs one too; without either, the panic surfaces as an unrelated TypeError.
    const panicHost = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(message: string): void } };
    panicHost.PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message(message) {
        throw new Error(`the Prisma schema engine panicked: ${message}`);
      },
    };
    // A real import(): the bindings are an ES module, which Jest's module system cannot require().
    const bg: SchemaEngineBindings = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const wasmPath = path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')), 'schema_engine_bg.wasm');
    // The engine arms a 10 s timer around its advisory lock and never clears it; unref'd, that
    // timer no longer keeps a finished process alive for ten seconds.
    const imports: Record<string, unknown> = { ...bg };
    for (const name of Object.keys(bg).filter((key) => key.startsWith('__wbg_setTimeout_'))) {
      imports[name] = (callback: () => void, ms: number) => setTimeout(callback, ms >>> 0).unref();
    }
    const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), { './schema_engine_bg.js': imports });
    bg.__wbg_set_wasm(instance.exports);
    instance.exports.__wbindgen_start();
    return bg;
  })();
  return bindings;
}

async function startEngine(
  datamodel: { path: string; content: string },
  factory: SqlMigrationAwareDriverAdapterFactory,
): Promise<SchemaEngine> {
  const { SchemaEngine } = await loadSchemaEngine();
  // The engine's log lines are progress notes; its failures arrive as rejected promises.
  const ignoreLog = () => {};
  return SchemaEngine.new({ datamodels: [[datamodel.path, datamodel.content]] }, ignoreLog, bindMigrationAwareSqlAdapterFactory(factory));
}

// Same shape and order as the Prisma CLI builds for `migrate deploy`, so both tools agree on
// checksums and on which migrations are pending.
async function readMigrationsList(migrationsDir: string): Promise<MigrationList> {
  const lockfilePath = 'migration_lock.toml';
  const lockfileContent = await readFile(path.join(migrationsDir, lockfilePath), 'utf8').catch(() => null);
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(() => []);
  const migrationDirectories = await Promise.all(
    entries
      .filter((entry) => entry.isDirectory())
      .map(async (entry) => ({
        path: entry.name,
        migrationFile: {
          path: 'migration.sql',
          content: await readFile(path.join(migrationsDir, entry.name, 'migration.sql'), 'utf8').then(
            (value) => ({ tag: 'ok' as const, value }),
            (error: Error) => ({ tag: 'error' as const, value: error.message }),
          ),
        },
      })),
  );
  migrationDirectories.sort((a, b) => a.path.localeCompare(b.path));
  return { baseDir: migrationsDir, lockfile: { path: lockfilePath, content: lockfileContent }, shadowDbInitScript: '', migrationDirectories };
}

// adapter-pg runs a script by splitting it at every ';', which breaks migrations with a semicolon
// in a string, comment or function body. Like the native engine, send the script whole as one
// simple query, which PostgreSQL also runs as a single implicit transaction.
class WholeScriptPrismaPg extends PrismaPg {
  constructor(private readonly pool: pg.Pool) {
    super(pool);
  }

  override async connect() {
    const adapter = await super.connect();
    adapter.executeScript = async (script) => {
      await this.pool.query(script).catch((error: unknown) => {
        if (!(error instanceof pg.DatabaseError)) throw error;
        throw new DriverAdapterError({
          kind: 'postgres',
          code: error.code ?? 'N/A',
          severity: error.severity ?? 'N/A',
          message: error.message,
          detail: error.detail,
          column: error.column,
          hint: error.hint,
        });
      });
    };
    return adapter;
  }
}

export async function applyMigrations(options: {
  connectionString: string;
  migrationsDir: string;
  datamodel: string;
  datamodelPath: string;
}): Promise<string[]> {
  const migrationsList = await readMigrationsList(options.migrationsDir);
  // Owning the pool lets us close every connection the engine opened, whatever it disposes itself.
  // Closing it also ends the session holding the engine's advisory lock, which it never unlocks.
  const pool = new pg.Pool({ connectionString: options.connectionString });
  try {
    const engine = await startEngine({ path: options.datamodelPath, content: options.datamodel }, new WholeScriptPrismaPg(pool));
    try {
      const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: noFilters });
      return appliedMigrationNames;
    } finally {
      engine.free();
    }
  } finally {
    await pool.end();
  }
}

// The engine insists on a connection even to diff two datamodels, but only asks the server
// for its version on connect. Answering that one query keeps schema diffing database-free;
// anything else it asks for fails loudly rather than being guessed.
function offlinePostgres(): SqlMigrationAwareDriverAdapterFactory {
  const refuse = (): Promise<never> => Promise.reject(new Error('diffSchemaToSql has no database to query'));
  const adapter: SqlDriverAdapter = {
    provider: 'postgres',
    adapterName: 'offline-postgres',
    queryRaw: async (query) => {
      if (!query.sql.includes('server_version_num')) return refuse();
      return {
        columnNames: ['exists', 'version', 'numeric_version'],
        columnTypes: [ColumnTypeEnum.Boolean, ColumnTypeEnum.Text, ColumnTypeEnum.Int32],
        rows: [[true, 'PostgreSQL 15.0', 150000]],
      };
    },
    executeRaw: refuse,
    executeScript: refuse,
    startTransaction: refuse,
    dispose: async () => {},
  };
  return { provider: 'postgres', adapterName: 'offline-postgres', connect: async () => adapter, connectToShadowDb: refuse };
}

// The SQL script that takes `from` to the datamodel `to`, on an engine started for `to`.
async function diffToScript(from: DiffTarget, to: { path: string; content: string }, factory: SqlMigrationAwareDriverAdapterFactory): Promise<string> {
  const engine = await startEngine(to, factory);
  try {
    const { stdout } = await engine.diff({ from, to: { tag: 'schemaDatamodel', files: [to] }, script: true, exitCode: null, filters: noFilters });
    return stdout ?? '';
  } finally {
    engine.free();
  }
}

export async function diffSchemaToSql(options: { fromDatamodel: string | null; toDatamodel: string; path: string }): Promise<string> {
  const from: DiffTarget =
    options.fromDatamodel === null ? { tag: 'empty' } : { tag: 'schemaDatamodel', files: [{ path: options.path, content: options.fromDatamodel }] };
  return diffToScript(from, { path: options.path, content: options.toDatamodel }, offlinePostgres());
}

const CATALOG_CHAR_OID = 18;
const TEXT_OID = 25;
const catalogCharColumns = new WeakMap<unknown[], number[]>();

// Schema introspection reads PostgreSQL's one-byte "char" type from the catalogs, which Prisma's
// pg adapter cannot map. pg already returns those values as strings, so the client reports them
// as text to the adapter and remembers which columns they were; the adapter then labels them
// as the engine's Character type again.
function relabelCatalogChars(value: pg.QueryResult | undefined): void {
  const columns = (value?.fields ?? []).flatMap((field, index) => (field.dataTypeID === CATALOG_CHAR_OID ? [index] : []));
  for (const index of columns) value!.fields[index].dataTypeID = TEXT_OID;
  if (columns.length) catalogCharColumns.set(value!.rows, columns);
}

class CatalogCharClient extends pg.Client {
  // pg.Pool calls this with a callback; the adapter's own calls get the promise form.
  override query(...args: unknown[]): any {
    const callback = args[args.length - 1];
    if (typeof callback === 'function') {
      args[args.length - 1] = (error: Error | null, value: pg.QueryResult) => {
        if (!error) relabelCatalogChars(value);
        callback(error, value);
      };
    }
    const result = (pg.Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
    return result instanceof Promise ? result.then((value: pg.QueryResult) => (relabelCatalogChars(value), value)) : result;
  }
}

class IntrospectingPrismaPg extends WholeScriptPrismaPg {
  override async connect() {
    const adapter = await super.connect();
    const queryRaw = adapter.queryRaw.bind(adapter);
    adapter.queryRaw = async (query) => {
      const result = await queryRaw(query);
      for (const index of catalogCharColumns.get(result.rows) ?? []) result.columnTypes[index] = ColumnTypeEnum.Character;
      return result;
    };
    return adapter;
  }
}

// The shadow database is where the engine replays the existing migrations to learn the state
// they produce; it must be a separate, empty database.
class ShadowedPrismaPg extends IntrospectingPrismaPg {
  constructor(pool: pg.Pool, private readonly shadowPool: pg.Pool) {
    super(pool);
  }

  override connectToShadowDb() {
    return new IntrospectingPrismaPg(this.shadowPool).connect();
  }
}

// SQL that takes a database from its migrations folder to the datamodel: the body of the
// next migration.
export async function diffMigrationsToSchema(options: {
  connectionString: string;
  shadowConnectionString: string;
  migrationsDir: string;
  datamodel: string;
  datamodelPath: string;
}): Promise<string> {
  const migrationsList = await readMigrationsList(options.migrationsDir);
  const pool = new pg.Pool({ connectionString: options.connectionString, Client: CatalogCharClient });
  const shadowPool = new pg.Pool({ connectionString: options.shadowConnectionString, Client: CatalogCharClient });
  try {
    return await diffToScript({ tag: 'migrations', ...migrationsList }, { path: options.datamodelPath, content: options.datamodel }, new ShadowedPrismaPg(pool, shadowPool));
  } finally {
    await Promise.all([pool.end(), shadowPool.end()]);
  }
}
