import path from 'node:path';
import type { PeerService } from '../lib/entity-client';
import type { RunningSubgraph } from '../lib/subgraph';
import type { SubgraphOptions, SubgraphName } from '../lib/config';
import type { SubgraphSeed } from '../lib/demo-seed';

// What every subgraph folder provides, by convention, so that the development tools find a
// subgraph from its name in the registry (SUBGRAPH_NAMES in lib/config.ts) alone:
// subgraphs/<name>/src/server.ts exports `start` and `PEERS`, subgraphs/<name>/src/seed.ts
// exports `demoSeed`, and prisma/<name>/ holds its schema and migrations.
type ServerModule = { start(options: SubgraphOptions<Record<string, PeerService>>): Promise<RunningSubgraph>; PEERS: readonly SubgraphName[] };
type SeedModule = { demoSeed: SubgraphSeed<Record<string, unknown>, Record<string, unknown>> };

export const ROOT = path.join(__dirname, '..');

const sourceOf = (name: SubgraphName, file: string) => path.join(ROOT, 'subgraphs', name, 'src', file);

export const serverOf = (name: SubgraphName): ServerModule => require(sourceOf(name, 'server'));
export const seedOf = (name: SubgraphName): SeedModule['demoSeed'] => (require(sourceOf(name, 'seed')) as SeedModule).demoSeed;

export const prismaSchemaFile = (name: SubgraphName) => path.join(ROOT, 'prisma', name, 'schema.prisma');
export const migrationsDir = (name: SubgraphName) => path.join(ROOT, 'prisma', name, 'migrations');
