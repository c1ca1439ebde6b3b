import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MultiBar, Presets } from 'cli-progress';
import pg from 'pg';
import { IDENTITY_HEADER } from '../lib/auth';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/config';
import { migrateDatabase } from '../dev/databases';
import { benchCredentials } from './credentials';
import { countOrderLines, loadDatabase } from './data';
import { provideDatabases } from './databases';
import { LOAD, measure, type Measurement, type Run } from './measure';
import { freePorts, RESULTS_DIR, ROOT, startProcess, stopAll, waitReady } from './processes';
import { profileOf, topSelfTime } from './profile';
import { markdownTable, writeResults } from './report';

const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 100_000);
// BENCH_PROFILE=gateway|customer|sales|marketing (1: gateway) records that process's CPU profile.
const PROFILED = process.env.BENCH_PROFILE === '1' ? 'gateway' : process.env.BENCH_PROFILE || null;
const GATEWAY_TIMEOUT_MS = process.env.SUBGRAPH_TIMEOUT_MS ?? '60000';

const SINGLE_SUBGRAPH_QUERY = `query Customers($first: Int!, $after: String) {
  customers(first: $first, after: $after) { nodes { id name email status } }
}`;

const THREE_SUBGRAPH_QUERY = `query CustomersWithSalesAndMarketing($first: Int!, $after: String) {
  customers(first: $first, after: $after) {
    nodes {
      id name email status
      orders(first: 5) { nodes { id status total { amount currency } items { quantity product { sku name } } } }
      lifetimeValue { amount currency }
      segments { name }
      campaigns { name }
    }
  }
}`;

const seconds = (since: number) => (performance.now() - since) / 1000;

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
  } finally {
    await client.end();
  }
}

async function loadData(urls: Record<SubgraphName, string>): Promise<boolean> {
  await Promise.all(SUBGRAPH_NAMES.map((name) => migrateDatabase(name, urls[name])));
  const bars = new MultiBar({ hideCursor: true, clearOnComplete: false }, Presets.shades_classic);
  try {
    const loaded = await Promise.all(
      SUBGRAPH_NAMES.map((name) => loadDatabase(name, urls[name], CUSTOMERS, bars.create(1, 0, { step: 'checking' }, { format: `${name.padEnd(9)} [{bar}] {value}/{total} {step}` }))),
    );
    return loaded.some(Boolean);
  } finally {
    bars.stop();
  }
}

// Hive Gateway serves the committed supergraph, pointed at this run's subgraphs.
function supergraphFor(urls: Record<SubgraphName, string>): string {
  let replaced = 0;
  const sdl = readFileSync(path.join(ROOT, 'gateway', 'supergraph.graphql'), 'utf8').replace(/@join__graph\(name: "(\w+)", url: "[^"]*"\)/g, (_match, name: SubgraphName) => {
    replaced++;
    return `@join__graph(name: "${name}", url: "${urls[name]}")`;
  });
  if (replaced !== SUBGRAPH_NAMES.length) throw new Error(`expected ${SUBGRAPH_NAMES.length} subgraphs in gateway/supergraph.graphql, found ${replaced}`);
  const file = path.join(ROOT, '.data', 'bench', 'supergraph.graphql');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, sdl);
  return file;
}

// Each request starts its page after a different one of the first 1000 customers. Identical
// concurrent requests would measure Hive Gateway's deduplication of in-flight subgraph fetches,
// which this gateway lacks, rather than the cost of serving a request.
async function pageCursors(customerSubgraphUrl: string, headers: Record<string, string>): Promise<string[]> {
  const response = await fetch(customerSubgraphUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: '{ customers(first: 1000) { edges { cursor } } }' }),
  });
  const json = (await response.json()) as { data: { customers: { edges: { cursor: string }[] } } };
  return json.data.customers.edges.map((edge) => edge.cursor);
}

type Credentials = Awaited<ReturnType<typeof benchCredentials>>;
type Services = { direct: string; ours: string; hive: string; metricsUrls: string[]; pids: Record<string, number> };

// Hive Gateway passes the identity header its clients send on to the subgraphs, which accept
// nothing else; it reads this file from its working directory.
function hiveConfigDirectory(): string {
  const directory = path.join(ROOT, '.data', 'bench', 'hive');
  mkdirSync(directory, { recursive: true });
  writeFileSync(
    path.join(directory, 'gateway.config.mjs'),
    `export const gatewayConfig = { propagateHeaders: { fromClientToSubgraphs: ({ request }) => ({ '${IDENTITY_HEADER}': request.headers.get('${IDENTITY_HEADER}') }) } };\n`,
  );
  return directory;
}

async function startServices(databaseUrls: Record<SubgraphName, string>, credentials: Credentials): Promise<Services> {
  const names = [...SUBGRAPH_NAMES, 'gateway', 'hive'] as const;
  const free = await freePorts(names.length);
  const ports = Object.fromEntries(names.map((name, index) => [name, free[index]])) as Record<(typeof names)[number], number>;
  const base = (port: number) => `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { NODE_ENV: 'production', LOG_LEVEL: 'warn', HOST: '127.0.0.1', GATEWAY_PORT: String(ports.gateway), ...credentials.secrets };
  for (const name of SUBGRAPH_NAMES) {
    const prefix = name.toUpperCase();
    env[`${prefix}_DATABASE_URL`] = databaseUrls[name];
    env[`${prefix}_PORT`] = String(ports[name]);
    env[`${prefix}_URL`] = `${base(ports[name])}/graphql`;
  }
  const profileArgs = (name: string) => (PROFILED === name ? ['--cpu-prof', '--cpu-prof-dir', RESULTS_DIR] : []);
  const pids: Record<string, number> = {};
  await Promise.all(
    SUBGRAPH_NAMES.map((name) => {
      const child = startProcess({ name, args: [...profileArgs(name), '--import', 'tsx', path.join(ROOT, 'subgraphs', name, 'src', 'server.ts')], env });
      pids[name] = child.pid!;
      return waitReady(name, child, `${base(ports[name])}/ready`);
    }),
  );

  // Twenty queued pages of 1000 customers outlast the gateway's 3 s subgraph time limit on a
  // small machine, and the breaker would then answer for the subgraphs. Hive Gateway sets no
  // limit, so this one gets the load generator's instead: both are measured doing the work.
  // The load generator is one user, whose budget of cost in flight would refuse most of
  // twenty pages of 1000 at once; the bench measures throughput, so the budget takes them all.
  const gatewayEnv = { ...env, SUBGRAPH_TIMEOUT_MS: GATEWAY_TIMEOUT_MS, MAX_CALLER_INFLIGHT_COST: '1000000000000' };
  const gateway = startProcess({ name: 'gateway', args: [...profileArgs('gateway'), '--import', 'tsx', path.join(ROOT, 'gateway', 'src', 'server.ts')], env: gatewayEnv });
  const supergraphFile = supergraphFor(Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, env[`${name.toUpperCase()}_URL`]!])) as Record<SubgraphName, string>);
  const hiveBin = path.join(path.dirname(require.resolve('@graphql-hive/gateway/package.json')), 'dist', 'bin.js');
  // One process, like ours: Hive Gateway can fork workers, which would compare two CPUs with one.
  const hive = startProcess({
    name: 'hive-gateway',
    args: [hiveBin, 'supergraph', supergraphFile, '--host', '127.0.0.1', '--port', String(ports.hive), '--fork', '1'],
    env: { NODE_ENV: 'production', LOG_LEVEL: 'warn' },
    cwd: hiveConfigDirectory(),
  });
  await Promise.all([waitReady('gateway', gateway, `${base(ports.gateway)}/ready`), waitReady('hive-gateway', hive, `${base(ports.hive)}/readiness`)]);
  return {
    direct: `${base(ports.customer)}/graphql`,
    ours: `${base(ports.gateway)}/graphql`,
    hive: `${base(ports.hive)}/graphql`,
    metricsUrls: SUBGRAPH_NAMES.map((name) => `${base(ports[name])}/metrics`),
    pids: { ...pids, gateway: gateway.pid! },
  };
}

// (a) one subgraph, directly and through this gateway; (b) three subgraphs through this gateway
// and Hive Gateway, alternating so that neither profits from running later; (c) page sizes.
function plan(services: Services, cursors: string[], credentials: Credentials): Run[] {
  type Target = { gateway: string; url: string; headers: Record<string, string> };
  const direct: Target = { gateway: 'direct', url: services.direct, headers: credentials.subgraphHeaders };
  const ours: Target = { gateway: 'crm-gateway', url: services.ours, headers: credentials.gatewayHeaders };
  const hive: Target = { gateway: 'hive-gateway', url: services.hive, headers: credentials.subgraphHeaders };
  const rounds = (scenario: string, query: string, pageSize: number, order: Target[], connections = LOAD.connections) =>
    order.map((target, index) => ({ scenario, query, pageSize, connections, cursors, ...target, round: order.slice(0, index + 1).filter((other) => other === target).length }));
  // BENCH_SCENARIOS=single-subgraph,… runs only those (to profile one of them).
  const only = process.env.BENCH_SCENARIOS?.split(',');
  return [
    ...rounds('single-subgraph', SINGLE_SUBGRAPH_QUERY, 20, [direct, ours, direct, ours]),
    ...rounds('three-subgraph', THREE_SUBGRAPH_QUERY, 20, [ours, hive, ours, hive]),
    ...[10, 100, 1000].flatMap((pageSize) => rounds('page-size', THREE_SUBGRAPH_QUERY, pageSize, [ours])),
    // One request at a time: the latency of a list query itself, without 19 others queued ahead.
    ...[10, 100, 1000].flatMap((pageSize) => rounds('page-size', THREE_SUBGRAPH_QUERY, pageSize, [ours], 1)),
  ].filter((run) => !only || only.includes(run.scenario));
}

async function main() {
  // Pages of 1000 start after any of the first 1000 customers.
  if (!(CUSTOMERS >= 2000)) throw new Error('BENCH_CUSTOMERS must be at least 2000');
  mkdirSync(RESULTS_DIR, { recursive: true });
  const loadStart = performance.now();
  const databases = await provideDatabases(process.env.BENCH_DATABASE_URL);
  const loaded = await loadData(databases.urls);
  const orderLines = await countOrderLines(databases.urls.sales);
  const loadSeconds = seconds(loadStart);
  const database = `${databases.mode === 'postgres' ? 'PostgreSQL server' : 'embedded PGlite'} ${await serverVersion(databases.urls.customer)}`;
  console.error(`data: ${CUSTOMERS} customers, ${orderLines} order lines, ${loaded ? 'loaded' : 'reused'} in ${loadSeconds.toFixed(1)} s`);

  const credentials = await benchCredentials();
  const services = await startServices(databases.urls, credentials);
  const loadAverage = os.loadavg();
  const runStart = performance.now();
  const rows: Measurement[] = [];
  try {
    const cursors = await pageCursors(services.direct, credentials.subgraphHeaders);
    for (const run of plan(services, cursors, credentials)) {
      const row = await measure(run, services.metricsUrls);
      console.error(`${run.scenario} via ${run.gateway}, page ${run.pageSize}, round ${run.round}: ${row.rps} req/s, p95 ${row.p95Ms} ms, ${row.failedRequests} failed`);
      rows.push(row);
    }
  } finally {
    await stopAll();
  }
  const runSeconds = seconds(runStart);

  const profileFile = PROFILED ? profileOf(RESULTS_DIR, services.pids[PROFILED]) : undefined;
  const profile = profileFile ? { process: PROFILED!, file: profileFile, hotspots: topSelfTime(profileFile) } : undefined;
  writeResults(RESULTS_DIR, rows, { database, customers: CUSTOMERS, orderLines, loadSeconds, reused: !loaded, runSeconds, loadAverage, gatewaySettings: `SUBGRAPH_TIMEOUT_MS=${GATEWAY_TIMEOUT_MS}${PROFILED ? `, --cpu-prof on ${PROFILED}` : ''}`, load: LOAD }, profile);
  console.log(markdownTable(rows));
  console.log(`\nload ${loadSeconds.toFixed(1)} s (${loaded ? 'loaded' : 'reused'}), scenarios ${runSeconds.toFixed(1)} s; bench/results/latest.json and latest.md written`);
  if (profile) console.log(`${profile.process} CPU profile: ${path.relative(ROOT, profile.file)} (top self time in bench/results/latest.md)`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopAll().finally(() => process.exit(130));
  });
}

main().catch(async (error) => {
  console.error(error);
  await stopAll();
  process.exit(1);
});
