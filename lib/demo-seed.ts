import { connectDatabase, type DatabaseClient } from './db';
import type { EventData } from './events/catalog';

// The contract of each subgraph's demo data (subgraphs/<name>/src/seed.ts). Seeds run one after
// another in the registry's order, each given what the earlier ones produced (the customers
// sales takes orders for, the orders marketing attributes), so every database refers only to
// rows that exist, and no subgraph reads another's database.
export type SeedSize = { customers: number; ordersPerCustomer: number };

// What the seeds hand on. The seeds write no events, so each row carries the state its events
// would (lib/events/catalog.ts), for the later seeds to fill their projections of it from.
// A customer: its state for sales' and marketing's KnownCustomer, and the company sales names deals after.
export type DemoCustomer = { id: string; company: string } & EventData<'customer.created'>;
// An order, in the database's types, for marketing's OrderFact and customer analysis.
export type DemoOrder = { id: string; customerId: string; status: EventData<'order.created'>['status']; currency: string; totalMinor: bigint; placedAt: Date | null; createdAt: Date };

export type DemoRandom = { next(): number; int(max: number): number; pick<T>(values: readonly T[]): T };

export type SeedContext = {
  size: SeedSize;
  // One generator shared by every seed, in registry order, so every installation shows the same demo.
  random: DemoRandom;
  now: number;
  // Called once after each table is written (`steps` times per seed).
  tableWritten: () => void;
};

export type SubgraphSeed<Earlier, Produced> = {
  steps: number;
  hasData(databaseUrl: string): Promise<boolean>;
  seed(databaseUrl: string, context: SeedContext, earlier: Earlier): Promise<Produced>;
};

export const DAY_MS = 86_400_000;

// A fixed-seed generator (mulberry32).
export function demoRandom(seed: number): DemoRandom {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (max) => Math.floor(next() * max), pick: (values) => values[Math.floor(next() * values.length)] };
}

export async function inChunks<T>(rows: T[], write: (chunk: T[]) => Promise<unknown>, size = 2_000): Promise<void> {
  for (let start = 0; start < rows.length; start += size) await write(rows.slice(start, start + size));
}

// A seed's own connection to its own database, closed when its work is done.
export async function withDatabase<C extends DatabaseClient, T>(Client: Parameters<typeof connectDatabase<C>>[0], databaseUrl: string, work: (prisma: C) => Promise<T>): Promise<T> {
  const database = connectDatabase(Client, databaseUrl);
  try {
    return await work(database.prisma);
  } finally {
    await database.close();
  }
}
