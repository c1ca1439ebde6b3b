import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { loadSettings, SUBGRAPH_NAMES, type SubgraphName } from '../lib/config';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../dev/embedded-postgres';
import { migrateDatabase } from '../dev/databases';
import { startGateway, type GatewayOptions } from '../gateway/src/server';
import type { RunningServer } from '../lib/http-server';
import { provisionDatabases } from './databases';
import { testEventBroker, type TestEventBroker } from './event-broker';

const root = path.join(__dirname, '..');

// Starts a service as its container would, with only the environment given (production unless
// it says otherwise), and returns how it ended and everything it printed.
export function runService(entry: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, entry)], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

// Requests a service has answered on one route, from its Prometheus metrics.
export async function requestsAnswered(graphqlUrl: string, route: '/graphql' | '/ready'): Promise<number> {
  const text = await (await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'))).text();
  const pattern = new RegExp(`^http_request_duration_seconds_count\\{[^}]*route="${route}"[^}]*\\} (\\d+)`, 'gm');
  return [...text.matchAll(pattern)].reduce((sum, match) => sum + Number(match[1]), 0);
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Generous by default: on a loaded CI machine a subgraph process takes tens of seconds to start.
export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Forwards a port to a database so a test can take the database away and bring it back
// without touching the server other tests share.
export async function startTcpProxy(target: URL): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void>; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const [host, targetPort] = [target.hostname, Number(target.port || 5432)];
  const port = await freePort();
  let server: net.Server | null = null;
  const listen = async () => {
    server = net.createServer((client) => {
      const upstream = net.connect(targetPort, host);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
  };
  const cut = async () => {
    const closing = new Promise((resolve) => server?.close(resolve));
    for (const socket of sockets) socket.destroy();
    await closing;
    server = null;
  };
  await listen();
  return { port, cut, restore: listen, stop: cut };
}

// BENCH_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the subgraph processes of a
// benchmark (Node does not take --cpu-prof from NODE_OPTIONS).
const childNodeArguments = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);

export type ProcessPlatform = {
  gatewayUrl: string;
  // The NATS namespace the subgraph processes share, or in-process brokers that share nothing.
  eventBroker: TestEventBroker;
  subgraphUrls: Record<SubgraphName, string>;
  databaseUrls: Record<SubgraphName, string>;
  kill(name: SubgraphName): Promise<void>;
  // SIGTERM, as an orchestrator stops a container; resolves with the exit code.
  terminate(name: SubgraphName): Promise<number | null>;
  // SIGSTOP and SIGCONT: a subgraph that stops answering for a while without losing its work.
  pause(name: SubgraphName): void;
  resume(name: SubgraphName): void;
  start(name: SubgraphName): Promise<void>;
  stop(): Promise<void>;
};

// The three subgraphs as processes of their own, so a test can kill one, and the gateway in
// this process, so it can be given short time limits. Each subgraph's database is reached
// through a URL the caller may rewrite (to put a proxy in between).
export async function startProcessPlatform(options: {
  gateway: Omit<GatewayOptions, 'port' | 'subgraphUrls'>;
  databaseUrl?: (name: SubgraphName, url: string) => Promise<string>;
  // Rewrites the NATS URL the subgraph processes get (to put a proxy in between).
  natsUrl?: (url: string) => Promise<string>;
}): Promise<ProcessPlatform> {
  const databases = await provisionDatabases();
  // Without NATS each subgraph process has a broker of its own, so no events cross.
  const broker = await testEventBroker();
  const brokerEnvironment = { ...broker.environment };
  if (options.natsUrl && brokerEnvironment.NATS_URL) brokerEnvironment.NATS_URL = await options.natsUrl(brokerEnvironment.NATS_URL);
  const embedded: EmbeddedPostgres[] = [];
  const databaseUrls = {} as Record<SubgraphName, string>;
  const ports = {} as Record<SubgraphName, number>;
  for (const name of SUBGRAPH_NAMES) {
    let url = databases.urls[name];
    if (!url) {
      const database = await startEmbeddedPostgres({});
      embedded.push(database);
      url = database.connectionString;
    }
    await migrateDatabase(name, url);
    databaseUrls[name] = options.databaseUrl ? await options.databaseUrl(name, url) : url;
    ports[name] = await freePort();
  }
  const subgraphUrls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, `http://127.0.0.1:${ports[name]}/graphql`])) as Record<SubgraphName, string>;
  const children = new Map<SubgraphName, ChildProcess>();

  const start = async (name: SubgraphName) => {
    const child = spawn(process.execPath, [...childNodeArguments, '--import', 'tsx', path.join(root, 'subgraphs', name, 'src', 'server.ts')], {
      cwd: root,
      env: {
        ...process.env,
        // As a deployment runs them: Jest's NODE_ENV=test changes how libraries behave (Apollo
        // Server's signal handling, for one).
        NODE_ENV: 'development',
        NODE_OPTIONS: '',
        HOST: '127.0.0.1',
        PORT: String(ports[name]),
        [`${name.toUpperCase()}_DATABASE_URL`]: databaseUrls[name],
        ...Object.fromEntries(SUBGRAPH_NAMES.map((peer) => [`${peer.toUpperCase()}_URL`, subgraphUrls[peer]])),
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        ...brokerEnvironment,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.set(name, child);
    // A test that fails or is cut short must not leave subgraph processes behind.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    // Ready, not only alive: the subgraph has warmed up and reached its database.
    await waitFor(async () => (await fetch(subgraphUrls[name].replace('/graphql', '/ready'))).ok, `the ${name} subgraph`);
  };
  const kill = async (name: SubgraphName) => {
    const child = children.get(name);
    children.delete(name);
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };

  const terminate = async (name: SubgraphName) => {
    const child = children.get(name);
    children.delete(name);
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    return exited;
  };

  let gateway: RunningServer | undefined;
  try {
    await Promise.all(SUBGRAPH_NAMES.map(start));
    // The gateway follows the subgraphs' event stream for its subscriptions.
    gateway = await startGateway({ settings: loadSettings({ ...process.env, ...brokerEnvironment }), ...options.gateway, port: 0, subgraphUrls });
  } catch (error) {
    for (const name of SUBGRAPH_NAMES) await kill(name);
    throw error;
  }
  return {
    gatewayUrl: gateway.url,
    eventBroker: broker,
    subgraphUrls,
    databaseUrls,
    kill,
    terminate,
    pause: (name) => void children.get(name)?.kill('SIGSTOP'),
    resume: (name) => void children.get(name)?.kill('SIGCONT'),
    start,
    async stop() {
      await gateway?.stop();
      for (const name of SUBGRAPH_NAMES) await kill(name);
      for (const database of embedded) await database.stop();
      await databases.drop();
      await broker.cleanUp();
    },
  };
}
