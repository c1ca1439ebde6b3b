import path from 'node:path';
import { loadSettings, standaloneOptions, type SubgraphOptions } from '../../../lib/config';
import { connectDatabase } from '../../../lib/db';
import { peer } from '../../../lib/entity-client';
import { runStandalone } from '../../../lib/http-server';
import { startSubgraph, type RunningSubgraph, type SubgraphContext } from '../../../lib/subgraph';
import { salesCustomerConsumer } from './consumers';
import { PrismaClient } from './generated/prisma/client';
import { createLoaders, type Loaders } from './loaders';
import { resolvers } from './resolvers';
import { startOrderDeletionSweeper, type Peers } from './service';

// What every resolver of this subgraph receives as its context (codegen.ts types them with it).
export type Context = SubgraphContext<PrismaClient, Peers, Loaders>;

// The subgraphs this one asks (dev/platform.ts wires them up by these names).
export const PEERS = ['customer', 'marketing'] as const satisfies readonly (keyof Peers)[];

export async function start(options: SubgraphOptions<Peers>): Promise<RunningSubgraph> {
  const running = await startSubgraph(
    {
      name: 'sales',
      schemaFile: path.join(__dirname, 'schema.graphql'),
      resolvers,
      Client: PrismaClient,
      createLoaders,
      consumers: [salesCustomerConsumer],
    },
    options,
  );
  // Its own connection: the subgraph's pool is for requests, and its client is not exposed.
  const sweeperDatabase = connectDatabase(PrismaClient, options.databaseUrl, { ...(options.settings ?? loadSettings()).database, poolSize: 1 });
  const sweeper = startOrderDeletionSweeper(sweeperDatabase.prisma);
  const stopSweeper = async () => {
    await sweeper.stop();
    await sweeperDatabase.close();
  };
  let sweeperStopped: Promise<void> | undefined;
  return {
    ...running,
    async drain(graceMs) {
      await running.drain(graceMs);
      await (sweeperStopped ??= stopSweeper());
    },
    async stop() {
      await running.stop();
      await (sweeperStopped ??= stopSweeper());
    },
  };
}

if (require.main === module) {
  runStandalone('sales', (settings) =>
    start(standaloneOptions(settings, 'sales', { customer: peer(settings, 'sales', 'customer'), marketing: peer(settings, 'sales', 'marketing') })),
  );
}
