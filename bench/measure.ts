import autocannon from 'autocannon';

export type Measurement = {
  scenario: string;
  gateway: string;
  pageSize: number;
  // Concurrent connections of the load generator: 20, or 1 to see latency without queueing.
  connections: number;
  // Scenarios that alternate gateways measure each one several times in the same run.
  round: number;
  rps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  sqlStatementsPerRequest: number;
  subgraphFetchesPerRequest: number;
  // Responses that were not a 2xx without GraphQL errors, timeouts included. The gateway's
  // circuit breaker answers fast with errors once a subgraph struggles, so rps alone can flatter.
  failedRequests: number;
};

// cursors: where each request's page starts, taken in turn (see run.ts).
// headers: the credentials the target needs (see credentials.ts).
export type Run = { scenario: string; gateway: string; url: string; headers: Record<string, string>; query: string; pageSize: number; connections: number; round: number; cursors: string[] };

// Runs end after a number of requests rather than at a deadline, so that none is cut off in
// flight: each counted request has finished on every server, and none spills into the next run.
// The rate of the run before sizes the next one: a probe of one request per connection, a
// warm-up of about warmupSeconds (JIT, query plan cache, pools), then the measured run of about
// durationSeconds, capped at maxRequests.
export const LOAD = {
  connections: 20,
  durationSeconds: Number(process.env.BENCH_DURATION ?? 10),
  maxRequests: 20_000,
  warmupSeconds: 2,
};

type Counters = { sqlStatements: number; subgraphFetches: number };

const sum = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].reduce((total, match) => total + Number(match[1]), 0);

async function readCounters(metricsUrls: string[]): Promise<Counters> {
  const text = (await Promise.all(metricsUrls.map(async (url) => (await fetch(url)).text()))).join('\n');
  return {
    sqlStatements: sum(text, /^sql_statements_total(?:\{[^}]*\})? (\S+)$/gm),
    subgraphFetches: sum(text, /^http_request_duration_seconds_count\{[^}]*route="\/graphql"[^}]*\} (\S+)$/gm),
  };
}

async function verify(run: Run, body: string): Promise<void> {
  const response = await fetch(run.url, { method: 'POST', headers: { 'content-type': 'application/json', ...run.headers }, body });
  const json = (await response.json()) as { data?: { customers?: { nodes?: unknown[] } }; errors?: unknown[] };
  if (!response.ok || json.errors?.length || json.data?.customers?.nodes?.length !== run.pageSize) {
    throw new Error(`${run.scenario} via ${run.gateway} answered ${response.status}: ${JSON.stringify(json).slice(0, 500)}`);
  }
}

// Seconds are timed here: autocannon checks for the end of a run once a second and reports
// whole seconds for runs that end on a request count.
type Load = { result: autocannon.Result; latencies: number[]; seconds: number; rate: number };

async function load(run: Run, bodies: string[], amount: number): Promise<Load> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  let end = start;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: run.url,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...run.headers },
        // One shared counter, so that concurrent connections ask for different pages.
        requests: [{ setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }) }],
        connections: run.connections,
        amount,
        // A page of 1000 customers with their orders takes seconds once 20 of them queue up.
        timeout: 60,
        verifyBody: (body) => body !== undefined && !body.includes('"errors"'),
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    // autocannon reports no 95th percentile, so latencies are kept whole.
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime);
      end = performance.now();
    });
  });
  const seconds = (end - start) / 1000;
  return { result, latencies, seconds, rate: amount / seconds };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

const round2 = (value: number) => Math.round(value * 100) / 100;

export async function measure(run: Run, metricsUrls: string[]): Promise<Measurement> {
  const bodies = run.cursors.map((after) => JSON.stringify({ query: run.query, variables: { first: run.pageSize, after } }));
  if (run.round === 1) await verify(run, bodies[bodies.length - 1]);
  const requestsFor = (previous: Load, seconds: number) => Math.min(LOAD.maxRequests, Math.max(run.connections, Math.round(previous.rate * seconds)));
  const probe = await load(run, bodies, run.connections);
  const warmup = probe.seconds >= LOAD.warmupSeconds ? probe : await load(run, bodies, requestsFor(probe, LOAD.warmupSeconds));
  const amount = requestsFor(warmup, LOAD.durationSeconds);
  const before = await readCounters(metricsUrls);
  const { result, latencies, rate } = await load(run, bodies, amount);
  const after = await readCounters(metricsUrls);
  const sorted = latencies.sort((a, b) => a - b);
  return {
    scenario: run.scenario,
    gateway: run.gateway,
    pageSize: run.pageSize,
    connections: run.connections,
    round: run.round,
    rps: round2(rate),
    p50Ms: round2(percentile(sorted, 50)),
    p95Ms: round2(percentile(sorted, 95)),
    p99Ms: round2(percentile(sorted, 99)),
    sqlStatementsPerRequest: round2((after.sqlStatements - before.sqlStatements) / amount),
    subgraphFetchesPerRequest: round2((after.subgraphFetches - before.subgraphFetches) / amount),
    failedRequests: result.non2xx + result.errors + result.mismatches,
  };
}
