import { readFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { Kind, parse, print, visit, type ArgumentNode } from 'graphql';
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

const SECURITY_DIRECTIVES = new Set(['authenticated', 'requiresScopes']);

const linksSecurityFeature = (argument: ArgumentNode) =>
  argument.name.value === 'for' && argument.value.kind === Kind.ENUM && argument.value.value === 'SECURITY';

// The supergraph declares who may use what with Federation's @authenticated and
// @requiresScopes (as Apollo Router would enforce them). Apollo Gateway cannot enforce them
// and refuses to load them; the subgraphs that own the data enforce them, so the gateway
// plans queries over the same supergraph without those declarations.
export function withoutSecurityFeatures(supergraphSdl: string): string {
  return print(
    visit(parse(supergraphSdl), {
      Directive: (node) => (SECURITY_DIRECTIVES.has(node.name.value) || (node.name.value === 'link' && node.arguments?.some(linksSecurityFeature)) ? null : undefined),
      DirectiveDefinition: (node) => (SECURITY_DIRECTIVES.has(node.name.value) ? null : undefined),
      ScalarTypeDefinition: (node) => (node.name.value.startsWith('requiresScopes__') ? null : undefined),
    }),
  );
}
