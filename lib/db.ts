import { PrismaPg } from '@prisma/adapter-pg';

export type DatabaseClient = { $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>; $disconnect(): Promise<void> };

// Every subgraph reaches its own database the same way: Prisma Client over node-postgres.
export function connectDatabase<C>(Client: new (options: { adapter: PrismaPg }) => C, connectionString: string): C {
  const adapter = new PrismaPg({
    connectionString,
    max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
    connectionTimeoutMillis: 5_000,
  });
  return new Client({ adapter });
}

export async function databaseStatus(db: DatabaseClient): Promise<'up' | 'down'> {
  try {
    await db.$queryRawUnsafe('SELECT 1');
    return 'up';
  } catch {
    return 'down';
  }
}
