import type { PeerService } from './entity-client';

export const isProduction = () => process.env.NODE_ENV === 'production';

export const SUBGRAPH_NAMES = ['customer', 'sales', 'marketing'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export const DEFAULT_PORTS = { gateway: 4000, customer: 4001, sales: 4002, marketing: 4003 } as const;

const envName = (name: string) => name.toUpperCase();

export function servicePort(name: keyof typeof DEFAULT_PORTS): number {
  return Number(process.env[`${envName(name)}_PORT`] ?? process.env.PORT ?? DEFAULT_PORTS[name]);
}

export function subgraphUrl(name: SubgraphName): string {
  return process.env[`${envName(name)}_URL`] ?? `http://127.0.0.1:${DEFAULT_PORTS[name]}/graphql`;
}

export function databaseUrl(name: SubgraphName): string | undefined {
  return process.env[`${envName(name)}_DATABASE_URL`];
}

export function peer(caller: SubgraphName, name: SubgraphName, url = subgraphUrl(name)): PeerService {
  return { caller, name, url };
}

export type SubgraphOptions<P> = { databaseUrl: string; port: number; host?: string; peers: P };

// A service started on its own (a container) reads its settings from the environment.
export function standaloneOptions<P>(name: SubgraphName, peers: P): SubgraphOptions<P> {
  const url = databaseUrl(name);
  if (!url) throw new Error(`${envName(name)}_DATABASE_URL is not set`);
  return { databaseUrl: url, port: servicePort(name), host: process.env.HOST ?? '0.0.0.0', peers };
}
