import { readFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { Kind, parse, print, visit, type DirectiveNode } from 'graphql';
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

// The authorization features Apollo Gateway refuses to load; other security features, above all
// @inaccessible (which composition links with for: SECURITY as well), must stay so the gateway
// keeps what they hide out of the API schema.
const STRIPPED_FEATURES = /^https:\/\/specs\.apollo\.dev\/(authenticated|requiresScopes)\/v[\d.]+$/;

const stringArgument = (node: DirectiveNode, name: string) => {
  const value = node.arguments?.find((argument) => argument.name.value === name)?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
};

// The supergraph declares who may use what with Federation's @authenticated and
// @requiresScopes (as Apollo Router would enforce them). Apollo Gateway cannot enforce them
// and refuses to load them; the subgraphs that own the data enforce them, so the gateway
// plans queries over the same supergraph without those declarations (under whatever name a
// link gave them).
export function withoutSecurityFeatures(supergraphSdl: string): string {
  const document = parse(supergraphSdl);
  const names = new Set<string>();
  visit(document, {
    Directive(node) {
      const feature = node.name.value === 'link' ? STRIPPED_FEATURES.exec(stringArgument(node, 'url') ?? '') : null;
      if (feature) names.add(stringArgument(node, 'as') ?? feature[1]);
    },
  });
  const stripped = (name: string) => names.has(name);
  const ownedType = (name: string) => [...names].some((feature) => name.startsWith(`${feature}__`));
  return print(
    visit(document, {
      Directive: (node) => (stripped(node.name.value) || (node.name.value === 'link' && STRIPPED_FEATURES.test(stringArgument(node, 'url') ?? '')) ? null : undefined),
      DirectiveDefinition: (node) => (stripped(node.name.value) ? null : undefined),
      ScalarTypeDefinition: (node) => (ownedType(node.name.value) ? null : undefined),
    }),
  );
}
