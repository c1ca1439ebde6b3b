import { readFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { DEFAULT_PORTS, SUBGRAPH_NAMES } from '../../lib/config';

export const SUPERGRAPH_FILE = path.join(__dirname, '..', 'supergraph.graphql');

export function subgraphSchemaFile(name: string): string {
  return path.join(__dirname, '..', '..', 'subgraphs', name, 'src', 'schema.graphql');
}

// The supergraph records each subgraph's default URL; deployments override them per service
// (CUSTOMER_URL, ...) at the gateway, so one composed file serves every environment.
export function composeSupergraph(): { supergraphSdl: string } | { errors: string[] } {
  const result = composeServices(
    SUBGRAPH_NAMES.map((name) => ({
      name,
      url: `http://127.0.0.1:${DEFAULT_PORTS[name]}/graphql`,
      typeDefs: parse(readFileSync(subgraphSchemaFile(name), 'utf8')),
    })),
  );
  if (result.errors) return { errors: result.errors.map((error) => error.toString()) };
  return { supergraphSdl: result.supergraphSdl };
}
