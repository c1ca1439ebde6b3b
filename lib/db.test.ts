import type { Request, Response } from 'express';
import { migrateDatabase } from '../dev/databases';
import { startEmbeddedPostgres } from '../dev/embedded-postgres';
import { PrismaClient } from '../subgraphs/sales/src/generated/prisma/client';
import { createServerDatabase, databaseMode } from '../test/databases';
import { connectDatabase, type Database } from './db';
import { DEADLINE_HEADER, followCallerDeadline, TIME_BUDGET_HEADER, WRITE_MARGIN_MS } from './deadline';
import { TooLateToWriteError } from './errors';

// A transaction that finishes its work after the caller has (nearly) given up must roll back:
// the gateway has already told the client the write failed.
let drop: () => Promise<void>;
let database: Database<PrismaClient>;

beforeAll(async () => {
  let url: string;
  if ((await databaseMode()) === 'postgres') {
    ({ url, drop } = await createServerDatabase('crm_test_db'));
  } else {
    const embedded = await startEmbeddedPostgres({});
    url = embedded.connectionString;
    drop = embedded.stop;
  }
  await migrateDatabase('sales', url);
  database = connectDatabase(PrismaClient, url);
}, 120_000);

afterAll(async () => {
  await database?.close();
  await drop?.();
});

// Runs work as a request whose caller waits budgetMs (the gateway's x-crm-time-budget-ms).
function withinBudget<T>(budgetMs: number | null, work: () => Promise<T>, headers: Record<string, string> = {}): Promise<T> {
  const values: Record<string, string | undefined> = { [TIME_BUDGET_HEADER]: budgetMs === null ? undefined : String(budgetMs), ...headers };
  const req = { get: (name: string) => values[name.toLowerCase()] } as unknown as Request;
  return new Promise<T>((resolve, reject) => followCallerDeadline(req, {} as Response, () => void work().then(resolve, reject)));
}

const writeProduct = (sku: string, workMs: number) =>
  database.prisma.$transaction(async (tx) => {
    await tx.product.create({ data: { sku, name: sku, priceMinor: 100n, currency: 'USD' } });
    await new Promise((resolve) => setTimeout(resolve, workMs));
  });

const stored = (sku: string) => database.prisma.product.count({ where: { sku } });

test('a transaction whose caller gave up while it worked rolls back and says so', async () => {
  // The budget is spent by the time the work is done: less than the margin is left at commit.
  await expect(withinBudget(WRITE_MARGIN_MS + 50, () => writeProduct('LATE-1', 200))).rejects.toBeInstanceOf(TooLateToWriteError);
  expect(await stored('LATE-1')).toBe(0);
});

test('a transaction with time left, or outside any request, commits', async () => {
  await withinBudget(60_000, () => writeProduct('IN-TIME-1', 10));
  await writeProduct('NO-DEADLINE-1', 10);
  expect([await stored('IN-TIME-1'), await stored('NO-DEADLINE-1')]).toEqual([1, 1]);
});

test('a request that waited in a queue past the deadline its caller stated does not commit, whatever its budget says', async () => {
  const waitedTooLong = { [DEADLINE_HEADER]: String(Date.now() + 100) };
  await expect(withinBudget(60_000, () => writeProduct('QUEUED-1', 10), waitedTooLong)).rejects.toBeInstanceOf(TooLateToWriteError);
  expect(await stored('QUEUED-1')).toBe(0);
});
