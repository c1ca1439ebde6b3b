import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';

async function withClient<T>(connectionString: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('embedded postgres', () => {
  let tempDir: string;

  beforeAll(() => {
    tempDir = mkdtempSync(path.join(os.tmpdir(), 'embedded-postgres-'));
  });

  afterAll(() => {
    rmSync(tempDir, { recursive: true, force: true });
  });

  it('keeps rows in dataDir across a restart', async () => {
    const dataDir = path.join(tempDir, 'nested', 'cluster');
    const first = await startEmbeddedPostgres({ dataDir });
    try {
      await withClient(first.connectionString, async (client) => {
        await client.query('CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL)');
        await client.query('INSERT INTO note VALUES ($1, $2), ($3, $4)', [1, 'kept', 2, 'also kept']);
      });
    } finally {
      await first.stop();
    }

    const second = await startEmbeddedPostgres({ dataDir });
    try {
      const rows = await withClient(second.connectionString, async (client) => (await client.query('SELECT id, body FROM note ORDER BY id')).rows);
      expect(rows).toEqual([
        { id: 1, body: 'kept' },
        { id: 2, body: 'also kept' },
      ]);
    } finally {
      await second.stop();
    }
  });

  describe('in memory', () => {
    let database: EmbeddedPostgres;
    let pool: Pool;

    beforeAll(async () => {
      database = await startEmbeddedPostgres({});
      pool = new Pool({ connectionString: database.connectionString, max: 10 });
    });

    afterAll(async () => {
      await pool.end();
      await database.stop();
    });

    it('answers parallel queries and transactions from a pool of several connections', async () => {
      await pool.query('CREATE TABLE counter (id int PRIMARY KEY, hits int NOT NULL)');
      await pool.query('INSERT INTO counter SELECT n, 0 FROM generate_series(1, 5) n');

      // Read-then-write increments lose updates unless each transaction runs alone on the session.
      const increment = async (id: number, commit: boolean) => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const { rows } = await client.query('SELECT hits FROM counter WHERE id = $1', [id]);
          await new Promise((resolve) => setImmediate(resolve));
          await client.query('UPDATE counter SET hits = $1 WHERE id = $2', [rows[0].hits + 1, id]);
          await client.query(commit ? 'COMMIT' : 'ROLLBACK');
        } finally {
          client.release();
        }
      };
      const echo = async (n: number) => (await pool.query('SELECT $1::int * 2 AS doubled, $2::text AS label', [n, `n${n}`])).rows[0];

      const work = Array.from({ length: 200 }, (_, n) => (n % 2 ? increment(n % 5 + 1, n % 3 !== 0) : echo(n)));
      const results = await Promise.all(work);

      results.forEach((result, n) => {
        if (n % 2 === 0) expect(result).toEqual({ doubled: n * 2, label: `n${n}` });
      });
      const committed = Array.from({ length: 200 }, (_, n) => n).filter((n) => n % 2 === 1 && n % 3 !== 0).length;
      const { rows } = await pool.query('SELECT sum(hits)::int AS total FROM counter');
      expect(rows[0].total).toBe(committed);
    });

    it('rejects a port that is already taken', async () => {
      const port = Number(new URL(database.connectionString).port);
      await expect(startEmbeddedPostgres({ port })).rejects.toThrow(/EADDRINUSE/);
    });

    it('offers pg_trgm to migrations', async () => {
      await pool.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
      const { rows } = await pool.query("SELECT similarity('customer', 'customers') > 0.5 AS close");
      expect(rows[0].close).toBe(true);
    });
  });
});
