import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite, type Extension } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

// The contrib subpaths exist only in the package's exports map, which moduleResolution node10
// does not read; require resolves them at run time and the type comes from the main entry.
const { pg_trgm } = require('@electric-sql/pglite/contrib/pg_trgm') as { pg_trgm: Extension };

// Bundled so that migrations running `CREATE EXTENSION pg_trgm` work here as on PostgreSQL.
const extensions = { pg_trgm };

export type EmbeddedPostgresOptions = {
  // Where the cluster lives, created if missing; undefined keeps it in memory.
  dataDir?: string;
  // 0 or undefined picks a free port.
  port?: number;
};

export type EmbeddedPostgres = {
  connectionString: string;
  stop(): Promise<void>;
};

const SYNC = 'S'.charCodeAt(0);
const QUERY = 'Q'.charCodeAt(0);
const TERMINATE = 'X'.charCodeAt(0);

// PGlite is a single backend session that the socket server shares between client connections.
// The server keeps one connection's messages together only while isInTransaction() is true, but
// an extended-protocol exchange (Parse, Bind, Execute ... Sync) is no transaction, so a pg Pool of
// more than one connection gets its unnamed statements overwritten by another connection
// ('portal "" does not exist') and then stalls. Counting an unfinished exchange as a transaction
// keeps it on its connection until the message that the backend answers with ReadyForQuery.
class SharedSessionPGlite extends PGlite {
  private exchangeOpen = false;

  override isInTransaction(): boolean {
    return this.exchangeOpen || super.isInTransaction();
  }

  override async execProtocolRawStream(message: Uint8Array, options: Parameters<PGlite['execProtocolRawStream']>[1]): Promise<void> {
    try {
      await super.execProtocolRawStream(message, options);
    } finally {
      // A startup packet begins with its length, whose first byte is 0.
      const type = message[0];
      this.exchangeOpen = !(type === SYNC || type === QUERY || type === TERMINATE || type === 0);
    }
  }
}

// initdb in Wasm takes several seconds of CPU and blocks the event loop, so a process makes one
// pristine cluster and unpacks it for every new database (about 1 s each).
let pristineCluster: Promise<Blob> | undefined;

function pristine(): Promise<Blob> {
  pristineCluster ??= PGlite.create({ extensions }).then(async (db) => {
    try {
      return await db.dumpDataDir('none');
    } finally {
      await db.close();
    }
  });
  return pristineCluster;
}

async function openDatabase(dataDir: string | undefined): Promise<PGlite> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const exists = dataDir !== undefined && existsSync(path.join(dataDir, 'PG_VERSION'));
  const db = new SharedSessionPGlite({ dataDir, extensions, loadDataDir: exists ? undefined : await pristine() });
  await db.waitReady;
  return db;
}

// start() reports a failure to listen, such as a port in use, only as an 'error' event and
// never settles.
function listen(server: PGLiteSocketServer): Promise<void> {
  return new Promise((resolve, reject) => {
    server.addEventListener('error', (event) => reject((event as CustomEvent).detail), { once: true });
    server.start().then(resolve, reject);
  });
}

// PGlite accepts any user, password and database name and always serves its one database, so
// the URL's credentials only satisfy clients that insist on having some. sslmode=disable because
// the socket server never answers an SSL request, on which libpq clients such as psql hang.
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const db = await openDatabase(options.dataDir);
  const host = '127.0.0.1';
  // Connections past the limit get plain text instead of a protocol error, which pg reports
  // confusingly, so the limit sits far above any pool size.
  const server = new PGLiteSocketServer({ db, host, port: options.port ?? 0, maxConnections: 100 });
  try {
    await listen(server);
  } catch (error) {
    await server.stop();
    await db.close();
    throw error;
  }
  const port = server.getServerConn().split(':').pop();
  return {
    connectionString: `postgresql://postgres:postgres@${host}:${port}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      // A clean shutdown checkpoints, so the next start on dataDir needs no WAL recovery.
      await db.close();
    },
  };
}
