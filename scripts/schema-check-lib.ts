import { Supergraph } from '@apollo/federation-internals';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { diff } from '@graphql-inspector/core';
import { parse, type GraphQLSchema } from 'graphql';
import { z } from 'zod';

export type Criticality = 'BREAKING' | 'DANGEROUS' | 'NON_BREAKING';

// `schema` names a subgraph, or `supergraph` for the API clients see at the gateway.
export type SchemaChange = { schema: string; type: string; path: string; message: string; criticality: Criticality };

const acceptedChange = z.strictObject({
  schema: z.string().min(1),
  type: z.string().min(1),
  path: z.string(),
  reason: z.string().refine((reason) => reason.trim() !== '' && !reason.startsWith('TODO'), 'say why clients are not broken'),
});
const declarationsFile = z.strictObject({ $comment: z.string().optional(), acceptedBreakingChanges: z.array(acceptedChange) });

export type AcceptedChange = z.infer<typeof acceptedChange>;

// A subgraph's SDL alone is not a valid schema (federation directives, _Entity, _service);
// built the way the subgraph server builds it, both versions compare like for like.
export function subgraphSchema(sdl: string): GraphQLSchema {
  return buildSubgraphSchema({ typeDefs: parse(sdl) });
}

// Clients never see join__/link__ machinery or @inaccessible elements, so changes to them
// are not changes to the API. Any linked feature is accepted: only the API's shape matters here.
export function supergraphApiSchema(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl, { supportedFeatures: null }).apiSchema().toGraphQLJSSchema();
}

export async function diffSchemas(schema: string, before: GraphQLSchema, after: GraphQLSchema): Promise<SchemaChange[]> {
  return (await diff(before, after)).map((change) => ({
    schema,
    type: change.type,
    path: change.path ?? '',
    // Descriptions can span lines; one change, one line.
    message: change.message.replace(/\s*\n\s*/g, ' '),
    criticality: change.criticality.level as Criticality,
  }));
}

export function parseAcceptedChanges(json: string, source: string): AcceptedChange[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    throw new Error(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  const result = declarationsFile.safeParse(data);
  if (!result.success) throw new Error(`${source} is invalid:\n${z.prettifyError(result.error)}`);
  return result.data.acceptedBreakingChanges;
}

const matches = (change: SchemaChange, accepted: AcceptedChange) =>
  change.schema === accepted.schema && change.type === accepted.type && change.path === accepted.path;

export function checkChanges(changes: SchemaChange[], accepted: AcceptedChange[]): { undeclared: SchemaChange[]; unused: AcceptedChange[] } {
  const breaking = changes.filter((change) => change.criticality === 'BREAKING');
  return {
    undeclared: breaking.filter((change) => !accepted.some((entry) => matches(change, entry))),
    unused: accepted.filter((entry) => !breaking.some((change) => matches(change, entry))),
  };
}

const LABELS: Record<Criticality, string> = { BREAKING: 'breaking ', DANGEROUS: 'dangerous', NON_BREAKING: 'safe     ' };

export function formatChanges(changes: SchemaChange[], accepted: AcceptedChange[]): string[] {
  const order: Criticality[] = ['BREAKING', 'DANGEROUS', 'NON_BREAKING'];
  return [...changes]
    .sort((a, b) => order.indexOf(a.criticality) - order.indexOf(b.criticality))
    .map((change) => {
      const declared = change.criticality === 'BREAKING' && accepted.some((entry) => matches(change, entry)) ? ' (declared)' : '';
      return `${LABELS[change.criticality]} ${change.type} ${change.path}: ${change.message}${declared}`;
    });
}

// What to paste into the declarations file, so accepting a change is one reviewed edit.
export function declarationFor(change: SchemaChange): string {
  return JSON.stringify({ schema: change.schema, type: change.type, path: change.path, reason: 'TODO: why clients are not broken' });
}
