import net from 'node:net';
import { startGateway } from '../gateway/src/server';
import { DEFAULT_PORTS, loadSettings, SUBGRAPH_NAMES, type Environment, type SubgraphName } from '../lib/config';
import { InProcessBroker } from '../lib/events/in-process-transport';
import type { RunningSubgraph } from '../lib/subgraph';
import type { PeerService } from '../lib/entity-client';
import { PortInUseError, type RunningServer } from '../lib/http-server';
import type { EmbeddedPostgres } from './embedded-postgres';
import { migrateDatabase, startSubgraphEmbeddedDatabase } from './databases';
import { DEMO_SIZE, isSeeded, seedDemoData } from './seed';
import { serverOf } from './subgraphs';

export type PlatformOptions = {
  // One URL per subgraph; a subgraph without one gets an embedded PostgreSQL.
  databaseUrls?: Partial<Record<SubgraphName, string>>;
  // Where embedded databases keep their data (default DATA_DIR, or .data); null keeps them in memory.
  dataDir?: string | null;
  // 0 picks a free port.
  ports?: Partial<Record<SubgraphName | 'gateway', number>>;
  host?: string;
  // Loads the demo data into databases that have none, before any service reports ready.
  seed?: boolean;
  // What start-up is doing, for `npm start` to print.
  report?: (step: string) => void;
  onSeedProgress?: (done: number, total: number) => void;
  // Variables that override the process's environment for the subgraphs (the tests' NATS
  // namespace, say).
  environment?: Environment;
};

export type Platform = {
  gatewayUrl: string;
  subgraphs: Record<SubgraphName, RunningSubgraph>;
  subgraphUrls: Record<SubgraphName, string>;
  databaseUrls: Record<SubgraphName, string>;
  stop(): Promise<void>;
};

async function provideDatabase(name: SubgraphName, options: PlatformOptions, embedded: EmbeddedPostgres[]): Promise<string> {
  const configured = options.databaseUrls?.[name];
  if (configured) return configured;
  const database = await startSubgraphEmbeddedDatabase(name, options.dataDir);
  embedded.push(database);
  return database.connectionString;
}

// Starts the whole platform in this process: a database per subgraph (embedded unless a URL
// is given) with migrations applied, the three subgraphs, then the gateway in front of them.
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const report = options.report ?? (() => {});
  const port = (name: SubgraphName | 'gateway') => options.ports?.[name] ?? DEFAULT_PORTS[name];
  // A port taken by another program fails start-up within seconds, before any database work.
  for (const name of ['gateway', ...SUBGRAPH_NAMES] as const) await ensurePortFree(name, port(name), options.host);
  const embedded: EmbeddedPostgres[] = [];
  const servers: RunningServer[] = [];
  const stop = async () => {
    for (const server of servers.reverse()) await server.stop();
    for (const database of embedded) await database.stop();
  };
  try {
    const urls = await Promise.all(
      SUBGRAPH_NAMES.map(async (name) => {
        const url = await provideDatabase(name, options, embedded);
        report(`${name}: database ${options.databaseUrls?.[name] ? 'connected' : 'started (embedded)'}`);
        const applied = await migrateDatabase(name, url);
        report(`${name}: ${applied.length ? `${applied.length} migration(s) applied` : 'migrations up to date'}`);
        return url;
      }),
    );
    const databaseUrls = Object.fromEntries(SUBGRAPH_NAMES.map((name, index) => [name, urls[index]])) as Record<SubgraphName, string>;
    if (options.seed && !(await isSeeded(databaseUrls))) {
      report('seeding demo data (first start)');
      await seedDemoData(databaseUrls, DEMO_SIZE, options.onSeedProgress);
    }

    // Subgraphs call each other for cross-service checks; their URLs are known once they listen.
    const peers: PeerService[] = [];
    // Without NATS_URL the subgraphs exchange events through one broker inside this process.
    const settings = loadSettings({ ...process.env, ...options.environment });
    const eventBroker = settings.events.natsUrl ? undefined : new InProcessBroker();
    const common = (name: SubgraphName) => ({ databaseUrl: databaseUrls[name], port: port(name), host: options.host, eventBroker, settings });
    const subgraphs = {} as Record<SubgraphName, RunningSubgraph>;
    await Promise.all(
      SUBGRAPH_NAMES.map(async (name) => {
        const subgraph = serverOf(name);
        const peersOfThis = Object.fromEntries(subgraph.PEERS.map((peerName) => [peerName, { caller: name, name: peerName, url: '' }]));
        peers.push(...Object.values(peersOfThis));
        subgraphs[name] = await subgraph.start({ ...common(name), peers: peersOfThis });
        servers.push(subgraphs[name]);
        report(`${name}: listening on ${subgraphs[name].url}`);
      }),
    );
    for (const service of peers) service.url = subgraphs[service.name as SubgraphName].url;

    const subgraphUrls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, subgraphs[name].url])) as Record<SubgraphName, string>;
    const gateway = await startGateway({ port: port('gateway'), host: options.host, subgraphUrls, settings, eventBroker });
    servers.push(gateway);
    return { gatewayUrl: gateway.url, subgraphs, subgraphUrls, databaseUrls, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function ensurePortFree(name: SubgraphName | 'gateway', port: number, host = '127.0.0.1'): Promise<void> {
  if (port === 0) return;
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(name, port) : error));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
