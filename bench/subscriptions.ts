import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { connect as connectNats } from '@nats-io/transport-node';
import { Client } from 'pg';
import WebSocket from 'ws';
import { signUserToken } from '../gateway/src/authentication';
import type { Role } from '../lib/auth';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/config';
import { eventNames } from '../lib/events/envelope';
import { migrateDatabase } from '../dev/databases';
import { createServerDatabase, databaseMode } from '../test/databases';
import { testEventBroker } from '../test/event-broker';
import { benchCredentials } from './credentials';
import { freePorts, RESULTS_DIR, ROOT, startProcess, stopAll, waitReady } from './processes';
import { profileOf, topSelfTime } from './profile';
import { hotspotTable } from './report';

// `npm run bench:subscriptions`: SUBSCRIBERS customerChanged subscribers (half graphql-ws, one
// WebSocket each, half graphql-sse in distinct connections mode), spread round-robin over four
// selections × two roles, then EVENTS_PER_SECOND customer updates for DURATION_MS. The three
// subgraphs and the gateway are processes of their own over PostgreSQL and the NATS server at
// 127.0.0.1:4222, all on loopback; the subscribers and the writer are this process. Reports
// delivery latency (the event's occurredAt to its arrival here), deliveries missing, the
// gateway's memory per idle subscriber and subgraph fetches per event. Never part of CI.
const SUBSCRIBERS = Number(process.env.SUB_SUBSCRIBERS ?? 1_000);
const EVENTS_PER_SECOND = Number(process.env.SUB_EVENTS_PER_SECOND ?? 50);
const DURATION_MS = Number(process.env.SUB_DURATION_MS ?? 60_000);
// Updates go round these in turn: each customer's updates wait for each other (row lock,
// event sequence), so too few customers would measure that queue.
const CUSTOMERS = Number(process.env.SUB_CUSTOMERS ?? 100);
// subgraph (default): the updates go straight to the customer subgraph, signed as the gateway
// would sign them, so that the event rate holds whatever state the gateway is in (through a
// gateway behind on 1,000 subscribers, 87 % of the updates failed or timed out and a quarter
// of them committed);
// gateway: mutations through the gateway, as a client makes them.
const WRITES_VIA = process.env.SUB_WRITES_VIA === 'gateway' ? 'gateway' : 'subgraph';
// Subscribers connected at once while they are being set up.
const CONNECT_BATCH = 50;
// How long deliveries may trail the last update before the missing ones are counted.
const DRAIN_MS = 30_000;
const CALIBRATION_WRITES = 20;

// SUB_HEAP_PROFILE=1: where the memory of idle subscribers was allocated in the gateway, from a
// sampling heap profile taken while they connect (it costs the gateway some memory itself).
const HEAP_PROFILE = process.env.SUB_HEAP_PROFILE === '1';
// SUB_CPU_PROFILE=1: the gateway's CPU profile over the run alone (from the first update to the
// last delivery), through its inspector, to bench/results/subscriptions-gateway.cpuprofile.
const CPU_PROFILE = process.env.SUB_CPU_PROFILE === '1';
const CPU_PROFILE_FILE = path.join(RESULTS_DIR, 'subscriptions-gateway.cpuprofile');

// BENCH_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the gateway and the
// subgraphs; the gateway's top self time is printed (Node does not take --cpu-prof from NODE_OPTIONS).
const CHILD_NODE_ARGS = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);

const ROLES: Role[] = ['ADMIN', 'SALES'];

// Four selections of the event's customer, read from one, two or three subgraphs. SALES may
// not read rfm: its subscribers of the last one get rfm null with FORBIDDEN on every event.
const SELECTIONS = [
  { name: 'customer', subgraphs: ['customer'], fields: 'id name email status' },
  { name: 'customer+sales', subgraphs: ['customer', 'sales'], fields: 'id name orders(first: 3) { totalCount nodes { id status } } lifetimeValue { amount currency }' },
  { name: 'customer+marketing', subgraphs: ['customer', 'marketing'], fields: 'id name company segments { name } campaigns { name }' },
  { name: 'all three', subgraphs: ['customer', 'sales', 'marketing'], fields: 'id name email lifetimeValue { amount currency } segments { name } rfm { currency frequency recencyDays }' },
] as const;

const documentOf = (selection: (typeof SELECTIONS)[number]) =>
  `subscription { customerChanged(kinds: [UPDATED]) { eventId kind occurredAt customerId customer { ${selection.fields} } } }`;

// SUB_TRANSPORTS=ws or =sse measures one transport alone.
const TRANSPORTS = (process.env.SUB_TRANSPORTS ?? 'ws,sse').split(',').filter((name): name is 'ws' | 'sse' => name === 'ws' || name === 'sse');

// Subscribers alternate transports, and each pair of them takes the next (selection, role)
// pair in turn, so every pair has as many WebSocket as SSE subscribers.
const PAIRS = ROLES.flatMap((role) => SELECTIONS.map((selection) => ({ role, selection })));
const planOf = (n: number) => ({ ...PAIRS[Math.floor(n / TRANSPORTS.length) % PAIRS.length], transport: TRANSPORTS[n % TRANSPORTS.length] });

function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (!sorted.length) return null;
  return Number(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))].toFixed(1));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// what: described when the wait times out, so that it can say how far it got.
async function until(check: () => boolean | Promise<boolean>, what: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what()}`);
    await sleep(100);
  }
}

const sum = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].reduce((total, match) => total + Number(match[1]), 0);
const metricsText = async (base: string) => (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(60_000) })).text();
const graphqlRequests = (text: string) => sum(text, /^http_request_duration_seconds_count\{[^}]*route="\/graphql"[^}]*\} (\S+)$/gm);

// A process's CPU seconds and resident memory from Linux's /proc, which answers even while the
// process is too busy to serve /metrics.
function usageOf(pid: number): { cpuSeconds: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name, from the third (state) on: utime and stime are the 14th
  // and 15th, in ticks of 1/100 s (USER_HZ); rss is the 24th, in pages.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100, rssBytes: Number(fields[21]) * 4096 };
}

type Memory = { rssBytes: number; heapUsedBytes: number };

// A session with the gateway's inspector (the gateway is started with --inspect on loopback).
class Inspector {
  private next = 1;
  private constructor(private readonly socket: WebSocket) {}

  static async connect(port: number): Promise<Inspector> {
    const [target] = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
    const socket = new WebSocket(target.webSocketDebuggerUrl, { maxPayload: 2 ** 30 });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return new Inspector(socket);
  }

  call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.next++;
    return new Promise((resolve) => {
      const onMessage = (data: WebSocket.RawData) => {
        const message = JSON.parse(String(data)) as { id?: number; result: T };
        if (message.id !== id) return;
        this.socket.off('message', onMessage);
        resolve(message.result);
      };
      this.socket.on('message', onMessage);
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.socket.close();
  }
}

// The least of three readings, each after a full collection: what the gateway holds, without
// garbage that happened to be waiting for the next collection.
async function idleMemory(gatewayBase: string, inspector: Inspector): Promise<Memory> {
  const readings: Memory[] = [];
  for (let n = 0; n < 3; n++) {
    await inspector.call('HeapProfiler.collectGarbage');
    await sleep(500);
    const text = await metricsText(gatewayBase);
    readings.push({ rssBytes: sum(text, /^process_resident_memory_bytes(?:\{[^}]*\})? (\S+)$/gm), heapUsedBytes: sum(text, /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/gm) });
  }
  return { rssBytes: Math.min(...readings.map((r) => r.rssBytes)), heapUsedBytes: Math.min(...readings.map((r) => r.heapUsedBytes)) };
}

type SamplingNode = { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: SamplingNode[] };

// Where the heap the subscribers hold was allocated: V8's sampling heap profile keeps the
// samples of objects still alive, so taken after a collection it shows what they retain.
function retainedBy(head: SamplingNode, subscribers: number, count = 12) {
  const bytes = new Map<string, number>();
  const visit = (node: SamplingNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'}\t${url ? `${path.relative(ROOT, url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : ''}`;
    bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize);
    node.children.forEach(visit);
  };
  visit(head);
  return [...bytes.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, total]) => {
      const [fn, location] = key.split('\t');
      return { fn, location, bytesPerSubscriber: Math.round(total / subscribers) };
    });
}

type ChangeEvent = { eventId: string; occurredAt: string };
type Result = { data?: { customerChanged?: ChangeEvent } | null; errors?: readonly { extensions?: { code?: unknown } }[] };

// What every subscriber saw, kept small: 1,000 subscribers × 3,000 events is 3 million deliveries.
class Deliveries {
  receivers = new Map<string, number>();
  latencies: Float64Array;
  latencyCount = 0;
  // Per event, to the first subscriber that got it: the pipeline without most of the fan-out.
  firstLatencies: number[] = [];
  measuring = false;
  errorCodes: Record<string, number> = {};
  ended: Record<string, number> = {};
  closing = false;

  constructor(capacity: number) {
    this.latencies = new Float64Array(capacity);
  }

  // Called first thing in each client's callback, so the arrival time is taken before any work of ours.
  receive(result: Result): void {
    const arrivedAt = Date.now();
    const event = result.data?.customerChanged;
    for (const error of result.errors ?? []) {
      const code = String(error.extensions?.code ?? 'none');
      this.errorCodes[code] = (this.errorCodes[code] ?? 0) + 1;
    }
    if (!event) return;
    const receivers = this.receivers.get(event.eventId) ?? 0;
    this.receivers.set(event.eventId, receivers + 1);
    if (!this.measuring) return;
    const latency = arrivedAt - Date.parse(event.occurredAt);
    if (receivers === 0) this.firstLatencies.push(latency);
    if (this.latencyCount < this.latencies.length) this.latencies[this.latencyCount++] = latency;
  }

  end(how: string): void {
    if (!this.closing) this.ended[how] = (this.ended[how] ?? 0) + 1;
  }
}

type Subscriber = { connected: Promise<void>; close(): void };

function wsSubscriber(url: string, token: string, query: string, deliveries: Deliveries): Subscriber {
  let connected!: () => void;
  let failed!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => ([connected, failed] = [resolve, reject]));
  const client = createWsClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    // A dropped subscriber stays dropped and is counted, instead of reconnecting unseen.
    retryAttempts: 0,
    on: {
      connected: () => connected(),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        deliveries.end(`ws close ${code}${reason ? ` ${reason}` : ''}`);
        failed(new Error(`WebSocket closed ${code} ${reason}`));
      },
    },
  });
  client.subscribe<ChangeEvent>({ query }, {
    next: (result) => deliveries.receive(result as Result),
    // A closed socket is counted by its close code above; this is an operation's own error.
    error: (error) => void (!(error as { code?: unknown }).code && deliveries.end(`ws error ${JSON.stringify(error).slice(0, 100)}`)),
    complete: () => deliveries.end('ws complete'),
  });
  return { connected: ready, close: () => void client.dispose() };
}

function sseSubscriber(url: string, token: string, query: string, deliveries: Deliveries): Subscriber {
  let connected!: () => void;
  let failed!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => ([connected, failed] = [resolve, reject]));
  const client = createSseClient({ url, headers: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
  client.subscribe<ChangeEvent>(
    { query },
    {
      next: (result) => deliveries.receive(result as Result),
      error: (error) => {
        deliveries.end(`sse error ${error instanceof Error ? error.message : String((error as { status?: number })?.status ?? error)}`.slice(0, 120));
        failed(new Error('SSE subscription failed'));
      },
      complete: () => deliveries.end('sse complete'),
    },
    { connected: () => connected() },
  );
  return { connected: ready, close: () => client.dispose() };
}

// Undone newest first when the run ends, fails or is interrupted.
const cleanUps: (() => Promise<void>)[] = [];

async function cleanUp(): Promise<void> {
  for (const step of cleanUps.splice(0).reverse()) await step().catch((error: unknown) => console.error(error));
}

async function run() {
  if ((await databaseMode()) !== 'postgres') throw new Error('bench:subscriptions needs the PostgreSQL server (TEST_ADMIN_DATABASE_URL, by default 127.0.0.1:5432)');
  const broker = await testEventBroker();
  if (broker.kind !== 'nats') throw new Error('bench:subscriptions needs the NATS server at 127.0.0.1:4222');
  cleanUps.push(() => broker.cleanUp());
  const databases = await Promise.all(SUBGRAPH_NAMES.map((name) => createServerDatabase(`crm_bench_subscriptions_${name}`)));
  cleanUps.push(async () => {
    for (const database of databases) await database.drop();
  });
  const databaseUrls = Object.fromEntries(SUBGRAPH_NAMES.map((name, index) => [name, databases[index].url])) as Record<SubgraphName, string>;
  const clients: Subscriber[] = [];
  const closeClients = () => {
    for (const client of clients.splice(0)) client.close();
  };
  const customerDb = new Client({ connectionString: databaseUrls.customer });
  await Promise.all(SUBGRAPH_NAMES.map((name) => migrateDatabase(name, databaseUrls[name])));
  await customerDb.connect();
  cleanUps.push(() => customerDb.end());
  const credentials = await benchCredentials();
  const { secrets } = credentials;
  const tokenFor = (role: Role, n: number) =>
    signUserToken({ secret: secrets.AUTH_JWT_SECRET, issuer: secrets.AUTH_ISSUER, audience: secrets.AUTH_AUDIENCE, rolesClaim: 'roles' }, { sub: `bench-${role.toLowerCase()}-${n}`, roles: [role] }, '4h');

  const names = [...SUBGRAPH_NAMES, 'gateway', 'inspector'] as const;
  const free = await freePorts(names.length);
  const ports = Object.fromEntries(names.map((name, index) => [name, free[index]])) as Record<(typeof names)[number], number>;
  const base = (port: number) => `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    GATEWAY_PORT: String(ports.gateway),
    // Subscribers are closed before the gateway stops, so there is nothing to wait for.
    SHUTDOWN_GRACE_MS: '1000',
    ...broker.environment,
    ...secrets,
  };
  for (const name of SUBGRAPH_NAMES) {
    env[`${name.toUpperCase()}_DATABASE_URL`] = databaseUrls[name];
    env[`${name.toUpperCase()}_PORT`] = String(ports[name]);
    env[`${name.toUpperCase()}_URL`] = `${base(ports[name])}/graphql`;
  }
  cleanUps.push(stopAll);
  const subgraphPids = await Promise.all(
    SUBGRAPH_NAMES.map(async (name) => {
      const child = startProcess({ name, args: [...CHILD_NODE_ARGS, '--import', 'tsx', path.join(ROOT, 'subgraphs', name, 'src', 'server.ts')], env });
      await waitReady(name, child, `${base(ports[name])}/ready`);
      return child.pid!;
    }),
  );
  const subgraphsCpu = () => subgraphPids.reduce((total, pid) => total + usageOf(pid).cpuSeconds, 0);
  const gateway = startProcess({ name: 'gateway', args: [...CHILD_NODE_ARGS, `--inspect=127.0.0.1:${ports.inspector}`, '--import', 'tsx', path.join(ROOT, 'gateway', 'src', 'server.ts')], env });
  const gatewayBase = base(ports.gateway);
  await waitReady('gateway', gateway, `${gatewayBase}/ready`);

  const post = async (url: string, headers: Record<string, string>, query: string, variables: Record<string, unknown> = {}) => {
    // Bounded, so that a gateway that has fallen far behind cannot hold the run up for minutes.
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(30_000) });
    const body = (await response.json()) as { data?: Record<string, any>; errors?: { extensions?: { code?: string } }[] };
    if (!response.ok || body.errors?.length) throw new Error(`${url} answered ${response.status}: ${JSON.stringify(body).slice(0, 500)}`);
    return body.data!;
  };
  const gatewayUrl = `${gatewayBase}/graphql`;
  const customerUrl = env.CUSTOMER_URL!;

  // Customers with an order each, so the sales and marketing fields have something to read.
  const { createProduct } = await post(env.SALES_URL!, credentials.subgraphHeaders, 'mutation { createProduct(input: { sku: "BENCH-SUB", name: "Bench", price: { amount: "9.99", currency: "USD" } }) { id } }');
  const customerIds: string[] = [];
  for (let n = 0; n < CUSTOMERS; n++) {
    const { createCustomer } = await post(customerUrl, credentials.subgraphHeaders, `mutation { createCustomer(input: { name: "Bench subscribed ${n}", company: "Bench ${n % 3}" }) { id } }`);
    customerIds.push(createCustomer.id);
    await post(gatewayUrl, credentials.gatewayHeaders, 'mutation ($input: CreateOrderInput!) { createOrder(input: $input) { id } }', { input: { customerId: createCustomer.id, items: [{ productId: createProduct.id, quantity: 1 }], status: 'PLACED' } });
  }

  const UPDATE = 'mutation ($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { id } }';
  const [writeUrl, writeHeaders] = WRITES_VIA === 'gateway' ? [gatewayUrl, credentials.gatewayHeaders] : [customerUrl, credentials.subgraphHeaders];
  let written = 0;
  const write = async () => {
    const n = written++;
    const started = performance.now();
    try {
      await post(writeUrl, writeHeaders, UPDATE, { id: customerIds[n % customerIds.length], input: { name: `Bench subscribed ${n % customerIds.length} v${n}` } });
      return { ms: performance.now() - started, ok: true };
    } catch (error) {
      const message = (error as Error).message;
      return { ms: performance.now() - started, ok: false, failure: /"code":"(\w+)"/.exec(message)?.[1] ?? message.slice(0, 80) };
    }
  };
  const latestEventId = async () =>
    ((await customerDb.query(`SELECT id::text FROM "OutboxEvent" WHERE type = 'customer.updated' ORDER BY position DESC LIMIT 1`)).rows[0] as { id: string }).id;
  const subgraphBases = SUBGRAPH_NAMES.map((name) => base(ports[name]));
  const subgraphRequests = async () => Object.fromEntries(await Promise.all(SUBGRAPH_NAMES.map(async (name, index) => [name, graphqlRequests(await metricsText(subgraphBases[index]))] as const))) as Record<SubgraphName, number>;
  // Settled: the subgraphs' request counts stopped moving (the event consumers may still be
  // applying the last writes, and may read other subgraphs as they do).
  const settledRequests = async () => {
    let last = await subgraphRequests();
    let now = last;
    await until(
      async () => {
        await sleep(1_000);
        [last, now] = [now, await subgraphRequests()];
        return SUBGRAPH_NAMES.every((name) => now[name] === last[name]);
      },
      () => 'the subgraphs\' request counts to settle',
      60_000,
    );
    return now;
  };

  // What an update costs the subgraphs with nobody subscribed: taken off the run's counts once
  // per committed update (an update that timed out here may have committed or not).
  const beforeCalibration = await settledRequests();
  for (let n = 0; n < CALIBRATION_WRITES; n++) if (!(await write()).ok) throw new Error('a calibration update failed');
  const afterCalibration = await settledRequests();
  const requestsPerWrite = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, (afterCalibration[name] - beforeCalibration[name]) / CALIBRATION_WRITES])) as Record<SubgraphName, number>;
  console.error(`platform up; an update with nobody subscribed costs the subgraphs ${JSON.stringify(requestsPerWrite)} /graphql requests`);

  const expectedRunEvents = Math.round((EVENTS_PER_SECOND * DURATION_MS) / 1000);
  const deliveries = new Deliveries(Math.ceil(expectedRunEvents * SUBSCRIBERS * 1.05));
  cleanUps.push(async () => {
    deliveries.closing = true;
    closeClients();
  });
  const wsUrl = gatewayUrl.replace(/^http/, 'ws');
  const subscribe = async (n: number) => {
    const plan = planOf(n);
    const token = await tokenFor(plan.role, n);
    const subscriber = (plan.transport === 'ws' ? wsSubscriber : sseSubscriber)(plan.transport === 'ws' ? wsUrl : gatewayUrl, token, documentOf(plan.selection), deliveries);
    clients.push(subscriber);
    return subscriber.connected;
  };
  // The subscribers the gateway holds, as its readiness reports them.
  const gatewaySubscribers = async () => ((await (await fetch(`${gatewayBase}/ready`, { signal: AbortSignal.timeout(60_000) })).json()) as { dependencies: { events: { subscribers: number } } }).dependencies.events.subscribers;
  // Everyone subscribed is registered once everyone has received this update.
  const reachesAll = async (subscribers: number, what: string) => {
    if (!(await write()).ok) throw new Error(`the update for ${what} failed`);
    const eventId = await latestEventId();
    await until(() => (deliveries.receivers.get(eventId) ?? 0) >= subscribers, () => `${what} to reach all ${subscribers} subscribers (${deliveries.receivers.get(eventId) ?? 0} did)`, 60_000);
  };

  // Warm-up: one subscriber per pair and transport, so that query plans, the first fetches
  // and the transports' code are in place before the memory baseline.
  for (let n = 0; n < PAIRS.length * TRANSPORTS.length; n++) await subscribe(n);
  await reachesAll(PAIRS.length * TRANSPORTS.length, 'the warm-up update');
  deliveries.closing = true;
  closeClients();
  const warmUpLeft = await until(async () => (await gatewaySubscribers()) === 0, () => 'the gateway to let the warm-up subscribers go', 10_000).then(
    () => 0,
    () => gatewaySubscribers(),
  );
  if (warmUpLeft) console.error(`the gateway still holds ${warmUpLeft} of the ${PAIRS.length * TRANSPORTS.length} warm-up subscribers 10 s after they closed`);
  deliveries.closing = false;
  const inspector = await Inspector.connect(ports.inspector);
  cleanUps.push(async () => inspector.close());
  const memoryBefore = await idleMemory(gatewayBase, inspector);
  if (HEAP_PROFILE) await inspector.call('HeapProfiler.startSampling', { samplingInterval: 4_096 });

  const connectStart = performance.now();
  for (let first = 0; first < SUBSCRIBERS; first += CONNECT_BATCH) {
    await Promise.all(Array.from({ length: Math.min(CONNECT_BATCH, SUBSCRIBERS - first) }, (_, index) => subscribe(first + index)));
  }
  const connectSeconds = (performance.now() - connectStart) / 1000;
  await reachesAll(SUBSCRIBERS, 'the first update');
  await sleep(2_000);
  const memoryIdle = await idleMemory(gatewayBase, inspector);
  const heapProfile = HEAP_PROFILE ? retainedBy((await inspector.call<{ profile: { head: SamplingNode } }>('HeapProfiler.stopSampling')).profile.head, SUBSCRIBERS) : undefined;
  console.error(`${SUBSCRIBERS} subscribers connected in ${connectSeconds.toFixed(1)} s; gateway RSS ${(memoryBefore.rssBytes / 2 ** 20).toFixed(1)} → ${(memoryIdle.rssBytes / 2 ** 20).toFixed(1)} MiB`);

  // The run: open loop, an update every 1/EVENTS_PER_SECOND whether or not earlier ones answered.
  const [{ mark }] = (await customerDb.query(`SELECT coalesce(max(position), 0)::text AS mark FROM "OutboxEvent"`)).rows as { mark: string }[];
  const loadAverageBefore = os.loadavg();
  const requestsBefore = await subgraphRequests();
  const cpuBefore = { gateway: usageOf(gateway.pid!).cpuSeconds, subgraphs: subgraphsCpu(), generator: process.cpuUsage() };
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const peak = { rssBytes: 0 };
  const sampler = setInterval(() => void (peak.rssBytes = Math.max(peak.rssBytes, usageOf(gateway.pid!).rssBytes)), 1_000);
  // The events as NATS carries them, to tell the outbox relay's share of the latency from the gateway's.
  const nats: NatsConnection = await connectNats({ servers: broker.environment.NATS_URL });
  cleanUps.push(() => nats.close());
  const natsLatencies = new Map<string, number>();
  nats.subscribe(eventNames(broker.namespace).subjects, {
    callback: (_error: Error | null, message: Msg) => {
      const event = message.json<{ id: string; occurredAt: string }>();
      natsLatencies.set(event.id, Date.now() - Date.parse(event.occurredAt));
    },
  });
  if (CPU_PROFILE) {
    await inspector.call('Profiler.enable');
    await inspector.call('Profiler.start');
  }
  deliveries.measuring = true;
  const runStart = performance.now();
  const writes: ReturnType<typeof write>[] = [];
  const writesBefore = written;
  for (let n = 0; n < expectedRunEvents; n++) {
    const wait = runStart + (n * 1000) / EVENTS_PER_SECOND - performance.now();
    if (wait > 0) await sleep(wait);
    writes.push(write());
  }
  const writeResults = await Promise.all(writes);
  const sentOverMs = performance.now() - runStart;
  const runWrites = written - writesBefore;
  // CPU while the updates were being sent, not diluted by the wait for the last deliveries.
  const generatorCpu = process.cpuUsage(cpuBefore.generator);
  const cpuAfter = { gateway: usageOf(gateway.pid!).cpuSeconds, subgraphs: subgraphsCpu() };

  const eventIds = ((await customerDb.query(`SELECT id::text FROM "OutboxEvent" WHERE position > $1 AND type = 'customer.updated'`, [mark])).rows as { id: string }[]).map((row) => row.id);
  const delivered = () => eventIds.reduce((total, id) => total + Math.min(SUBSCRIBERS, deliveries.receivers.get(id) ?? 0), 0);
  // Whatever has not arrived by then is counted missing.
  await until(() => delivered() === eventIds.length * SUBSCRIBERS, () => 'every delivery', DRAIN_MS).catch(() => undefined);
  deliveries.measuring = false;
  const gatewayCpuSeconds = usageOf(gateway.pid!).cpuSeconds - cpuBefore.gateway;
  // null: the gateway was too busy to answer within a minute.
  const subscribersAtEnd = await gatewaySubscribers().catch(() => null);
  if (CPU_PROFILE) writeFileSync(CPU_PROFILE_FILE, JSON.stringify((await inspector.call<{ profile: unknown }>('Profiler.stop')).profile));
  clearInterval(sampler);
  loopDelay.disable();
  // A gateway far behind may still be fetching for old events a minute on: what it has done by
  // then is counted, and the report says so.
  let requestsSettled = true;
  const requestsAfter = await settledRequests().catch(async () => {
    requestsSettled = false;
    return subgraphRequests();
  });

  const writeMs = writeResults.map((r) => r.ms).sort((a, b) => a - b);
  const onNatsMs = eventIds.flatMap((id) => natsLatencies.get(id) ?? []).sort((a, b) => a - b);
  const latencies = deliveries.latencies.subarray(0, deliveries.latencyCount).sort();
  const expected = eventIds.length * SUBSCRIBERS;
  const receivedCounts = eventIds.map((id) => deliveries.receivers.get(id) ?? 0);
  const fetchesBySubgraph = Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [name, Number(((requestsAfter[name] - requestsBefore[name] - requestsPerWrite[name] * eventIds.length) / eventIds.length).toFixed(2))]),
  ) as Record<SubgraphName, number>;
  const fetchesPerEvent = Number(Object.values(fetchesBySubgraph).reduce((a, b) => a + b, 0).toFixed(2));
  const fetchBound = PAIRS.reduce((total, pair) => total + pair.selection.subgraphs.length, 0);
  const perSubscriber = (field: keyof Memory) => Math.round((memoryIdle[field] - memoryBefore[field]) / SUBSCRIBERS);
  const cores = os.cpus().length;
  const runCpu = (seconds: number) => Number(((seconds / (sentOverMs / 1000)) * 100).toFixed(1));
  const latencyMs = { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), max: percentile(latencies, 100) };

  const subscriberPlans = Array.from({ length: SUBSCRIBERS }, (_, n) => planOf(n));
  const report = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: cores, cpuModel: os.cpus()[0]?.model.trim(), memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAverage: { beforeRun: loadAverageBefore.map((value) => Number(value.toFixed(2))), afterRun: os.loadavg().map((value) => Number(value.toFixed(2))) } },
    settings: {
      subscribers: SUBSCRIBERS,
      transports: { graphqlWs: subscriberPlans.filter((plan) => plan.transport === 'ws').length, graphqlSse: subscriberPlans.filter((plan) => plan.transport === 'sse').length },
      eventsPerSecond: EVENTS_PER_SECOND,
      durationMs: DURATION_MS,
      customers: CUSTOMERS,
      writesVia: WRITES_VIA,
      selections: SELECTIONS.map(({ name, subgraphs }) => ({ name, subgraphs })),
      roles: ROLES,
      distinctPairs: PAIRS.length,
      eventBroker: 'nats',
      childNodeArgs: CHILD_NODE_ARGS.join(' '),
      // The gateway's subscription settings given to this run (docs/subscriptions.md; defaults otherwise).
      gatewaySubscriptionSettings: Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('SUBSCRIPTION_'))),
    },
    connect: { seconds: Number(connectSeconds.toFixed(1)) },
    writes: {
      sent: runWrites,
      succeeded: writeResults.filter((r) => r.ok).length,
      failures: writeResults.reduce<Record<string, number>>((counts, r) => (r.failure ? { ...counts, [r.failure]: (counts[r.failure] ?? 0) + 1 } : counts), {}),
      sentOverMs: Math.round(sentOverMs),
      latencyMs: { p50: percentile(writeMs, 50), p99: percentile(writeMs, 99) },
    },
    deliveries: {
      events: eventIds.length,
      expected,
      delivered: receivedCounts.reduce((total, count) => total + Math.min(SUBSCRIBERS, count), 0),
      missing: receivedCounts.reduce((total, count) => total + Math.max(0, SUBSCRIBERS - count), 0),
      duplicates: receivedCounts.reduce((total, count) => total + Math.max(0, count - SUBSCRIBERS), 0),
      eventsNotReachingEveryone: receivedCounts.filter((count) => count < SUBSCRIBERS).length,
      errorsByCode: deliveries.errorCodes,
      subscriptionsEnded: deliveries.ended,
      // As the gateway's readiness reports them once the deliveries are in (or given up on).
      subscribersHeldAtEnd: subscribersAtEnd,
    },
    // From occurredAt (PostgreSQL's now() in the writing transaction, so slightly before its
    // commit) to the client callback in this process; both clocks are this machine's.
    latencyMs,
    firstSubscriberLatencyMs: (() => {
      const sorted = [...deliveries.firstLatencies].sort((a, b) => a - b);
      return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: percentile(sorted, 100) };
    })(),
    // The part of it before the gateway: occurredAt to the event's arrival here from NATS.
    onNatsLatencyMs: { p50: percentile(onNatsMs, 50), p99: percentile(onNatsMs, 99), max: percentile(onNatsMs, 100), seen: onNatsMs.length },
    gatewayMemory: {
      beforeSubscribers: memoryBefore,
      idleSubscribers: memoryIdle,
      peakDuringRun: peak,
      perIdleSubscriberBytes: { rss: perSubscriber('rssBytes'), heapUsed: perSubscriber('heapUsedBytes') },
      ...(heapProfile ? { heapRetainedByAllocationSite: heapProfile } : {}),
    },
    subgraphFetches: { settled: requestsSettled, perEvent: fetchesPerEvent, perEventBySubgraph: fetchesBySubgraph, bound: fetchBound, requestsPerWriteSubtracted: requestsPerWrite, unsharedWouldBe: SUBSCRIBERS * (fetchBound / PAIRS.length) },
    // Percent of one core while the updates were sent: every process shares this machine's cores.
    cpuPercentOfOneCore: { gateway: runCpu(cpuAfter.gateway - cpuBefore.gateway), subgraphs: runCpu(cpuAfter.subgraphs - cpuBefore.subgraphs), loadGenerator: runCpu((generatorCpu.user + generatorCpu.system) / 1e6) },
    // The gateway's CPU from the first update to the last delivery (its fetches and mutations
    // included) per result delivered: what one more subscriber costs it per event.
    gatewayCpuMicrosecondsPerDelivery: Number(((gatewayCpuSeconds * 1e6) / Math.max(1, delivered())).toFixed(1)),
    loadGeneratorEventLoopDelayMs: { p50: Number((loopDelay.percentile(50) / 1e6).toFixed(1)), p99: Number((loopDelay.percentile(99) / 1e6).toFixed(1)), max: Number((loopDelay.max / 1e6).toFixed(1)) },
    targets: { latencyP99Ms: 150, bytesPerIdleSubscriber: 20 * 1024, fetchesPerEvent: fetchBound },
    met: {
      latency: latencyMs.p99 !== null && latencyMs.p99 < 150,
      memory: perSubscriber('rssBytes') <= 20 * 1024 && perSubscriber('heapUsedBytes') <= 20 * 1024,
      // null: not judged, when fetches failed or went on after the run (a fetch that fails early
      // makes the count look low).
      fetches: requestsSettled && !deliveries.errorCodes.SUBGRAPH_UNAVAILABLE ? fetchesPerEvent <= fetchBound : null,
      everyDelivery: expected > 0 && delivered() === expected,
    },
  };

  deliveries.closing = true;
  closeClients();
  await sleep(500);
  // A process with an inspector session open waits for it to close before it exits.
  inspector.close();
  // SIGTERM: the children exit by themselves and write their CPU profiles.
  await stopAll();
  const profileDir = profileDirectory();
  const profileFile = CPU_PROFILE ? CPU_PROFILE_FILE : profileDir ? profileOf(profileDir, gateway.pid!) : undefined;
  return { ...report, profile: profileFile ? { file: path.relative(ROOT, profileFile), hotspots: topSelfTime(profileFile) } : undefined };
}

type Report = Awaited<ReturnType<typeof run>>;

async function main() {
  try {
    const report = await run();
    writeFileSync(path.join(RESULTS_DIR, 'subscriptions.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(table(report));
    const retained = report.gatewayMemory.heapRetainedByAllocationSite;
    if (retained) console.log(`\nGateway heap held per idle subscriber, by allocation site (sampling heap profile):\n\n| Function | Location | Bytes/subscriber |\n| --- | --- | ---: |\n${retained.map((site) => `| ${site.fn} | ${site.location || '(native)'} | ${site.bytesPerSubscriber} |`).join('\n')}`);
    if (report.profile) console.log(`\nGateway CPU profile ${report.profile.file}, top self time:\n\n${hotspotTable(report.profile.hotspots)}`);
    console.log('\nbench/results/subscriptions.json written');
  } finally {
    await cleanUp();
  }
}

// Where --cpu-prof writes: --cpu-prof-dir when given, else the working directory.
function profileDirectory(): string | undefined {
  if (!CHILD_NODE_ARGS.includes('--cpu-prof')) return undefined;
  const index = CHILD_NODE_ARGS.findIndex((arg) => arg.startsWith('--cpu-prof-dir'));
  if (index < 0) return ROOT;
  const arg = CHILD_NODE_ARGS[index];
  return path.resolve(ROOT, arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : CHILD_NODE_ARGS[index + 1]);
}

function table(report: Report): string {
  const mark = (met: boolean | null) => (met === null ? 'not judged' : met ? 'met' : 'MISSED');
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  const { latencyMs: l, deliveries: d, gatewayMemory: m, subgraphFetches: f, cpuPercentOfOneCore: cpu, loadGeneratorEventLoopDelayMs: lag, settings: s } = report;
  const rows = [
    ['Subscribers', `${s.subscribers} (${s.transports.graphqlWs} graphql-ws, ${s.transports.graphqlSse} graphql-sse), ${s.distinctPairs} (selection, role) pairs`, ''],
    ['Events', `${d.events} at ${s.eventsPerSecond}/s for ${s.durationMs / 1000} s, updates via the ${s.writesVia}`, ''],
    ['Latency occurredAt → client p50 / p95 / p99 / max (of the results delivered)', `${l.p50} / ${l.p95} / ${l.p99} / ${l.max} ms`, `p99 < 150 ms: ${mark(report.met.latency)}`],
    ['Latency to an event\'s first subscriber p50 / p99 / max', `${report.firstSubscriberLatencyMs.p50} / ${report.firstSubscriberLatencyMs.p99} / ${report.firstSubscriberLatencyMs.max} ms`, ''],
    ['Of which occurredAt → on NATS (outbox relay) p50 / p99 / max', `${report.onNatsLatencyMs.p50} / ${report.onNatsLatencyMs.p99} / ${report.onNatsLatencyMs.max} ms`, ''],
    ['Updates sent / succeeded (latency p50 / p99)', `${report.writes.sent} / ${report.writes.succeeded} (${report.writes.latencyMs.p50} / ${report.writes.latencyMs.p99} ms) ${JSON.stringify(report.writes.failures)}`, ''],
    ['Delivered / expected (missing, duplicates)', `${d.delivered} / ${d.expected} (${d.missing}, ${d.duplicates})`, `all: ${mark(report.met.everyDelivery)}`],
    ['Gateway memory per idle subscriber (RSS, heapUsed)', `${kib(m.perIdleSubscriberBytes.rss)}, ${kib(m.perIdleSubscriberBytes.heapUsed)}`, `≤ 20 KiB: ${mark(report.met.memory)}`],
    ['Gateway RSS before → idle → peak', `${(m.beforeSubscribers.rssBytes / 2 ** 20).toFixed(1)} → ${(m.idleSubscribers.rssBytes / 2 ** 20).toFixed(1)} → ${(m.peakDuringRun.rssBytes / 2 ** 20).toFixed(1)} MiB`, ''],
    ['Subgraph fetches per event (customer, sales, marketing)', `${f.perEvent} (${Object.values(f.perEventBySubgraph).join(', ')}); unshared would be ${f.unsharedWouldBe}${f.settled ? '' : '; the gateway was still fetching a minute after the run'}`, `≤ ${f.bound}: ${mark(report.met.fetches)}`],
    ['Result errors by code', JSON.stringify(d.errorsByCode), ''],
    ['Subscriptions ended early', `${JSON.stringify(d.subscriptionsEnded)}; the gateway held ${d.subscribersHeldAtEnd} at the end`, ''],
    ['CPU, % of one core (gateway, subgraphs, load generator)', `${cpu.gateway}, ${cpu.subgraphs}, ${cpu.loadGenerator} on ${report.machine.cpus} cores; the load generator is one Node process with every client and the writer`, ''],
    ['Gateway CPU per delivered result', `${report.gatewayCpuMicrosecondsPerDelivery} µs`, ''],
    ['Load average before the run (1, 5, 15 min)', `${report.machine.loadAverage.beforeRun.join(', ')}: other work on this machine slows every figure`, ''],
    ['Load generator event-loop delay p50 / p99 / max', `${lag.p50} / ${lag.p99} / ${lag.max} ms (part of every latency above)`, ''],
  ];
  return ['| Figure | Value | Target |', '| --- | --- | --- |', ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanUp().finally(() => process.exit(130));
  });
}

// Exits when done: the fetch pool's idle connections would keep the process waiting.
main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
