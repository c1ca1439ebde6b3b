import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { logger } from './logger';

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

// How long PostgreSQL lets one statement run before cancelling it: shorter than the gateway's
// 3000 ms subgraph time limit, so the work of a request the gateway has given up on stops
// instead of holding a connection. 0 turns the limit off.
export function statementTimeoutMs(): number {
  const value = Number(process.env.DATABASE_STATEMENT_TIMEOUT_MS ?? 2_500);
  if (!Number.isInteger(value) || value < 0) throw new Error('DATABASE_STATEMENT_TIMEOUT_MS must be a whole number of milliseconds');
  return value;
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
  onStatement: () => void = () => {},
): Database<C> {
  const pool = new pg.Pool({
    connectionString,
    max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
    connectionTimeoutMillis: 5_000,
    // Sent when each connection starts, so it costs no statement. The embedded database
    // (PGlite) accepts it and has no timer to enforce it.
    statement_timeout: statementTimeoutMs(),
    Client: countingClient(onStatement),
  });
  // An idle connection dropped by the server is replaced on next use; without a listener the
  // pool's error event would crash the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection lost'));
  const prisma = new Client({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

export async function databaseStatus(db: DatabaseClient): Promise<'up' | 'down'> {
  try {
    await db.$queryRaw`SELECT 1`;
    return 'up';
  } catch {
    return 'down';
  }
}
