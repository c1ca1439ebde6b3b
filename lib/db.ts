import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { loadSettings, type Settings } from './config';
import { logger } from './logger';
import { timeLeftMs, WRITE_MARGIN_MS } from './deadline';
import { TooLateToWriteError } from './errors';

export type DatabaseClient = { $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>; $disconnect(): Promise<void> };

export type Database<C> = { prisma: C; close(): Promise<void> };

// A pg client that reports every statement it sends, so the batching tests and the benchmark
// can count the SQL each GraphQL request costs.
function countingClient(onStatement: () => void): typeof pg.Client {
  return class CountingClient extends pg.Client {
    override query(...args: unknown[]): any {
      onStatement();
      return (pg.Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
    }
  };
}

// PostgreSQL's query_canceled, as node-postgres raises it and as Prisma wraps it.
const QUERY_CANCELED = '57014';

export function isStatementTimeout(error: unknown): boolean {
  const { code, meta } = (error ?? {}) as { code?: unknown; meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } };
  return code === QUERY_CANCELED || meta?.driverAdapterError?.cause?.originalCode === QUERY_CANCELED;
}

// Every subgraph reaches its own database the same way: Prisma Client over node-postgres.
export function connectDatabase<C extends DatabaseClient>(
  Client: new (options: { adapter: PrismaPg }) => C,
  connectionString: string,
  settings: Settings['database'] = loadSettings().database,
  onStatement: () => void = () => {},
): Database<C> {
  const pool = new pg.Pool({
    connectionString,
    max: settings.poolSize,
    connectionTimeoutMillis: 5_000,
    // How long PostgreSQL lets one statement run before cancelling it (see lib/config.ts). Sent
    // when each connection starts, so it costs no statement. The embedded database (PGlite)
    // accepts it and has no timer to enforce it.
    statement_timeout: settings.statementTimeoutMs,
    Client: countingClient(onStatement),
  });
  // An idle connection dropped by the server is replaced on next use; without a listener the
  // pool's error event would crash the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection lost'));
  const prisma = new Client({ adapter: new PrismaPg(pool) });
  commitOnlyInTime(prisma);
  return {
    prisma,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

type Transactional = { $transaction?: (work: unknown, options?: unknown) => Promise<unknown> };

// Every interactive transaction checks, once its work is done and before it commits, that the
// request's caller is still waiting (lib/deadline.ts); otherwise it rolls back. Work outside a
// request (the relay, consumers, seeds) has no deadline and always commits.
function commitOnlyInTime(prisma: object): void {
  const client = prisma as Transactional;
  const transaction = client.$transaction?.bind(prisma);
  if (!transaction) return;
  client.$transaction = (work, options) =>
    typeof work === 'function'
      ? transaction(async (tx: unknown) => {
          const result: unknown = await (work as (tx: unknown) => unknown)(tx);
          if (timeLeftMs() < WRITE_MARGIN_MS) throw new TooLateToWriteError();
          return result;
        }, options)
      : transaction(work, options);
}

export async function databaseStatus(db: DatabaseClient): Promise<'up' | 'down'> {
  try {
    await db.$queryRaw`SELECT 1`;
    return 'up';
  } catch {
    return 'down';
  }
}
