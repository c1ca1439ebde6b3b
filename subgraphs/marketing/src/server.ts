import path from 'node:path';
import { standaloneOptions, type SubgraphOptions } from '../../../lib/config';
import { peer } from '../../../lib/entity-client';
import { runStandalone } from '../../../lib/http-server';
import { startSubgraph, type SubgraphContext } from '../../../lib/subgraph';
import { PrismaClient } from './generated/prisma/client';
import { marketingOrders } from './analysis';
import { marketingCustomers } from './known-customers';
import { createLoaders, type Loaders } from './loaders';
import { resolvers } from './resolvers';
import type { Peers } from './service';

// What every resolver of this subgraph receives as its context (codegen.ts types them with it).
export type Context = SubgraphContext<PrismaClient, Peers, Loaders>;

// The subgraphs this one asks (dev/platform.ts wires them up by these names).
export const PEERS = ['customer', 'sales'] as const satisfies readonly (keyof Peers)[];

export function start(options: SubgraphOptions<Peers>) {
  return startSubgraph(
    {
      name: 'marketing',
      schemaFile: path.join(__dirname, 'schema.graphql'),
      resolvers,
      Client: PrismaClient,
      createLoaders,
      consumers: [marketingCustomers, marketingOrders],
    },
    options,
  );
}

if (require.main === module) {
  runStandalone('marketing', (settings) => start(standaloneOptions(settings, 'marketing', { customer: peer(settings, 'marketing', 'customer'), sales: peer(settings, 'marketing', 'sales') })));
}
