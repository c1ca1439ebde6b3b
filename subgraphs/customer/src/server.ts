import path from 'node:path';
import { loadSettings, standaloneOptions, type SubgraphOptions } from '../../../lib/config';
import { connectDatabase } from '../../../lib/db';
import { peer } from '../../../lib/entity-client';
import { runStandalone } from '../../../lib/http-server';
import { logger } from '../../../lib/logger';
import { startSubgraph, type RunningSubgraph, type SubgraphContext } from '../../../lib/subgraph';
import { customerErasures } from './consumers';
import { PrismaClient } from './generated/prisma/client';
import { createLoaders, type Loaders } from './loaders';
import { resolvers } from './resolvers';
import { cancelStaleDeletions, type Peers } from './service';

// What every resolver of this subgraph receives as its context (codegen.ts types them with it).
export type Context = SubgraphContext<PrismaClient, Peers, Loaders>;

// The subgraphs this one asks (dev/platform.ts wires them up by these names).
export const PEERS = ['sales', 'marketing'] as const satisfies readonly (keyof Peers)[];

const SWEEP_EVERY_MS = 30_000;

export async function start(options: SubgraphOptions<Peers>): Promise<RunningSubgraph> {
  const running = await startSubgraph(
    {
      name: 'customer',
      schemaFile: path.join(__dirname, 'schema.graphql'),
      resolvers,
      Client: PrismaClient,
      createLoaders,
      consumers: [customerErasures],
    },
    options,
  );
  const sweeper = startDeletionSweeper(options);
  return {
    ...running,
    // Stopped first, so no sweep runs on a database that is closing.
    drain: async (graceMs) => {
      await sweeper.stop();
      await running.drain(graceMs);
    },
    stop: async () => {
      await sweeper.stop();
      await running.stop();
    },
  };
}

// Releases the holds of deletions whose process died mid-way, at start and every 30 s, on a
// connection of its own (any replica may release any stale hold; each is released once).
function startDeletionSweeper(options: SubgraphOptions<Peers>): { stop(): Promise<void> } {
  const settings = options.settings ?? loadSettings();
  const database = connectDatabase(PrismaClient, options.databaseUrl, { ...settings.database, poolSize: 1 });
  const log = logger.child({ service: 'customer', component: 'deletion-sweeper' });
  let sweeping: Promise<void> = Promise.resolve();
  const sweep = () => {
    sweeping = cancelStaleDeletions(database.prisma).then(
      (released) => {
        if (released) log.warn({ released }, 'released the holds of unfinished deletions');
      },
      (error: unknown) => log.warn({ err: error }, 'could not sweep unfinished deletions'),
    );
  };
  sweep();
  const timer = setInterval(sweep, SWEEP_EVERY_MS).unref();
  let stopping: Promise<void> | undefined;
  return {
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(timer);
        await sweeping;
        await database.close();
      })()),
  };
}

if (require.main === module) {
  runStandalone('customer', (settings) => start(standaloneOptions(settings, 'customer', { sales: peer(settings, 'customer', 'sales'), marketing: peer(settings, 'customer', 'marketing') })));
}
