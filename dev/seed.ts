import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/config';
import { demoRandom, type SeedSize } from '../lib/demo-seed';
import { seedOf } from './subgraphs';

// Demo data for a new installation: each subgraph's own seed (subgraphs/<name>/src/seed.ts),
// in registry order, each writing to its own database and handed what the earlier ones made.
// It writes to the databases directly because it is an operator's tool run before the services
// take traffic, not a service itself.
export const DEMO_SIZE: SeedSize = { customers: 600, ordersPerCustomer: 5 };

export async function isSeeded(urls: Record<SubgraphName, string>): Promise<boolean> {
  const seeded = await Promise.all(SUBGRAPH_NAMES.map((name) => seedOf(name).hasData(urls[name])));
  return seeded.some(Boolean);
}

export async function seedDemoData(urls: Record<SubgraphName, string>, size: SeedSize = DEMO_SIZE, onProgress: (done: number, total: number) => void = () => {}): Promise<void> {
  const seeds = SUBGRAPH_NAMES.map((name) => [name, seedOf(name)] as const);
  const total = seeds.reduce((sum, [, seed]) => sum + seed.steps, 0);
  let done = 0;
  const context = { size, random: demoRandom(42), now: Date.now(), tableWritten: () => onProgress(++done, total) };
  let produced: Record<string, unknown> = {};
  for (const [name, seed] of seeds) produced = { ...produced, ...(await seed.seed(urls[name], context, produced)) };
}
