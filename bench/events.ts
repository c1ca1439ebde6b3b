import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { appendEvent } from '../lib/events/outbox';
import { connectDatabase } from '../lib/db';
import { internalHeaders, postGraphQL, userHeaders } from '../test/harness';
import { startProcessPlatform } from '../test/process-platform';
import { PrismaClient } from '../subgraphs/sales/src/generated/prisma/client';

// `npm run bench:events`: a steady write load on loopback (orders placed through the gateway
// at WRITES_PER_SECOND for DURATION_MS), subgraphs as separate processes over the NATS server at
// 127.0.0.1:4222. Reports events/s end to end, commit→applied lag (sales' outbox → marketing's
// inbox, both timestamped by PostgreSQL on this machine), the outbox backlog while loaded, and
// the write-transaction latency with and without the outbox row. Never part of CI.
const WRITES_PER_SECOND = Number(process.env.EVENT_WRITES_PER_SECOND ?? 200);
const DURATION_MS = Number(process.env.EVENT_DURATION_MS ?? 60_000);
const OUTBOX_SAMPLES = Number(process.env.EVENT_OUTBOX_SAMPLES ?? 2_000);
const CUSTOMERS = Number(process.env.EVENT_CUSTOMERS ?? 200);

function percentile(values: number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)].toFixed(2));
}

async function gql(url: string, query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const answer = await postGraphQL(url, query, variables, headers);
  if (answer.body.errors?.length) throw new Error(JSON.stringify(answer.body.errors));
  return answer.body.data!;
}

// The same write as createOrder's (an order and its line), alternately with and without its
// outbox event, so both see the same database state and machine load.
async function outboxCost(databaseUrl: string) {
  const database = connectDatabase(PrismaClient, databaseUrl);
  const prisma = database.prisma;
  const product = await prisma.product.create({ data: { sku: `BENCH-OUTBOX-${Date.now()}`, name: 'Outbox bench', priceMinor: 1_000n, currency: 'USD' } });
  const customerId = '00000000-0000-4000-8000-00000000beef';
  const write = (withEvent: boolean) =>
    prisma.$transaction(async (tx) => {
      const order = await tx.order.create({
        data: { customerId, status: 'PLACED', currency: 'USD', totalMinor: 1_000n, placedAt: new Date(), items: { create: [{ line: 1, productId: product.id, quantity: 1, unitPriceMinor: 1_000n }] } },
      });
      if (withEvent) {
        await appendEvent(tx, 'sales', 'order.created', order.id, {
          customerId,
          status: 'PLACED',
          currency: 'USD',
          totalMinor: '1000',
          placedAt: order.placedAt!.toISOString(),
          createdAt: order.createdAt.toISOString(),
        });
      }
    });
  const samples = { with: [] as number[], without: [] as number[] };
  for (let index = 0; index < OUTBOX_SAMPLES * 2; index++) {
    const withEvent = index % 2 === 0;
    const started = performance.now();
    await write(withEvent);
    (withEvent ? samples.with : samples.without).push(performance.now() - started);
  }
  await database.close();
  const p50 = { with: percentile(samples.with, 50)!, without: percentile(samples.without, 50)! };
  return {
    samples: OUTBOX_SAMPLES,
    withOutboxMs: { p50: p50.with, p99: percentile(samples.with, 99) },
    withoutOutboxMs: { p50: p50.without, p99: percentile(samples.without, 99) },
    addedAtP50Percent: Number((((p50.with - p50.without) / p50.without) * 100).toFixed(1)),
  };
}

async function main() {
  const platform = await startProcessPlatform({ gateway: {} });
  if (platform.eventBroker.kind !== 'nats') throw new Error('bench:events needs the NATS server at 127.0.0.1:4222');
  const sales = new Client({ connectionString: platform.databaseUrls.sales });
  const marketing = new Client({ connectionString: platform.databaseUrls.marketing });
  await Promise.all([sales.connect(), marketing.connect()]);
  try {
    const internal = await internalHeaders();
    // Orders spread over many customers, as in a CRM: the analysis of one customer is recomputed
    // under that customer's lock, so one customer taking every order would measure only that lock.
    const customerIds: string[] = [];
    for (let n = 0; n < CUSTOMERS; n++) {
      const { createCustomer } = await gql(platform.subgraphUrls.customer, `mutation { createCustomer(input: { name: "Bench buyer ${n}" }) { id } }`, {}, internal);
      customerIds.push(createCustomer.id);
    }
    const { createProduct } = await gql(platform.subgraphUrls.sales, 'mutation { createProduct(input: { sku: "BENCH-EV", name: "Bench", price: { amount: "9.99", currency: "USD" } }) { id } }', {}, internal);
    const headers = await userHeaders();
    let sent = 0;
    const nextBody = () =>
      JSON.stringify({
        query: 'mutation ($input: CreateOrderInput!) { createOrder(input: $input) { id } }',
        variables: { input: { customerId: customerIds[sent++ % customerIds.length], items: [{ productId: createProduct.id, quantity: 1 }], status: 'PLACED' } },
      });
    const place = async () => {
      const started = performance.now();
      try {
        const response = await fetch(platform.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: nextBody() });
        const answer = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
        const failure = answer.errors?.[0]?.extensions?.code ?? (response.ok ? undefined : `HTTP ${response.status}`);
        return { ms: performance.now() - started, ok: !failure, failure };
      } catch (error) {
        return { ms: performance.now() - started, ok: false, failure: (error as Error).message };
      }
    };
    for (let n = 0; n < 50; n++) await place();
    const [{ mark }] = (await sales.query(`SELECT coalesce(max(position), 0)::text AS mark FROM "OutboxEvent"`)).rows;

    const metricsUrl = platform.subgraphUrls.sales.replace(/\/graphql$/, '/metrics');
    const backlog: number[] = [];
    const sampler = setInterval(async () => {
      const text = await (await fetch(metricsUrl)).text();
      const match = /^events_outbox_backlog(?:\{[^}]*\})? (-?\d+)/m.exec(text);
      if (match) backlog.push(Number(match[1]));
    }, 250);

    // Open loop: a write is sent every 1/WRITES_PER_SECOND whether or not earlier ones answered.
    const writes: Promise<{ ms: number; ok: boolean; failure?: string }>[] = [];
    const start = performance.now();
    const total = Math.round((WRITES_PER_SECOND * DURATION_MS) / 1000);
    for (let n = 0; n < total; n++) {
      const due = start + (n * 1000) / WRITES_PER_SECOND;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      writes.push(place());
    }
    const results = await Promise.all(writes);
    const sentForMs = performance.now() - start;
    clearInterval(sampler);

    const deadline = Date.now() + 120_000;
    let lags: number[] = [];
    let expected = 0;
    while (Date.now() < deadline) {
      const events = (await sales.query(`SELECT id::text, "occurredAt" FROM "OutboxEvent" WHERE position > $1 AND type = 'order.created'`, [mark])).rows as { id: string; occurredAt: Date }[];
      expected = events.length;
      const applied = new Map(
        ((await marketing.query(`SELECT "eventId"::text AS id, "processedAt" FROM "ProcessedEvent" WHERE consumer = 'marketing-orders' AND "eventId" = ANY($1::uuid[])`, [events.map((e) => e.id)])).rows as { id: string; processedAt: Date }[]).map((row) => [row.id, row.processedAt]),
      );
      if (applied.size === events.length) {
        lags = events.map((event) => applied.get(event.id)!.getTime() - event.occurredAt.getTime());
        const first = Math.min(...events.map((event) => event.occurredAt.getTime()));
        const last = Math.max(...[...applied.values()].map((at) => at.getTime()));
        const report = {
          measuredAt: new Date().toISOString(),
          load: { writesPerSecondTarget: WRITES_PER_SECOND, durationMs: DURATION_MS, customers: CUSTOMERS, writesSent: total, writesSucceeded: results.filter((r) => r.ok).length, failures: results.reduce<Record<string, number>>((counts, r) => (r.ok ? counts : { ...counts, [r.failure ?? 'unknown']: (counts[r.failure ?? 'unknown'] ?? 0) + 1 }), {}), sentOverMs: Math.round(sentForMs) },
          writeLatencyThroughGatewayMs: { p50: percentile(results.map((r) => r.ms), 50), p99: percentile(results.map((r) => r.ms), 99) },
          events: { applied: applied.size, endToEndPerSecond: Number(((applied.size * 1000) / (last - first)).toFixed(1)) },
          commitToAppliedLagMs: { p50: percentile(lags, 50), p99: percentile(lags, 99), max: percentile(lags, 100) },
          outboxBacklog: { samples: backlog.length, max: Math.max(...backlog), p50: percentile(backlog, 50), p99: percentile(backlog, 99) },
          outboxWriteCost: await outboxCost(platform.databaseUrls.sales),
          targets: { lagP99Ms: 250, outboxAddedAtP50Percent: 15 },
        };
        writeFileSync(path.join(__dirname, 'results', 'events.json'), `${JSON.stringify(report, null, 2)}\n`);
        console.log(JSON.stringify(report, null, 2));
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`marketing did not apply all ${expected} order events within 120 s of the load ending`);
  } finally {
    await Promise.all([sales.end(), marketing.end()]);
    // SIGTERM, so subgraphs run with BENCH_CHILD_NODE_OPTIONS=--cpu-prof write their profiles.
    await Promise.all((['customer', 'sales', 'marketing'] as const).map((name) => platform.terminate(name)));
    await platform.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
