import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { Kind, OperationTypeNode, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { mutationNotRun } from '../../lib/errors';

// The first root mutation field of each client request that failed, by the request's context.
const failedMutationField = new WeakMap<object, string>();

// The planner writes each subgraph operation as text starting with its type; only mutations,
// a small share of the calls, are parsed to learn their root fields.
function mutationOf(options: GraphQLDataSourceProcessOptions): OperationDefinitionNode | undefined {
  const query = options.request.query;
  if (!query || !/^\s*mutation\b/.test(query)) return undefined;
  const planned = 'document' in options ? options.document : undefined;
  const document: DocumentNode = planned ?? parse(query);
  return document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION && definition.operation === OperationTypeNode.MUTATION);
}

const rootFieldsOf = (operation: OperationDefinitionNode) =>
  operation.selectionSet.selections.flatMap((selection) => (selection.kind === Kind.FIELD ? [(selection.alias ?? selection.name).value] : []));

// Apollo Gateway runs a mutation's root fields in order, one subgraph fetch after another, and
// goes on after a fetch fails: `a: createCustomer b: createCampaign` with the customer service
// down wrote the campaign while the client was told the request failed. Once a root mutation
// field has failed (the fetch failed, or the subgraph reported an error on a root field), the
// later mutation fetches of the request are not sent; their fields answer MUTATION_NOT_RUN.
// Entity fetches that complete earlier fields' results still run.
export class SerialMutations implements GraphQLDataSource {
  constructor(private readonly subgraph: GraphQLDataSource) {}

  async process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const mutation = mutationOf(options);
    const context = options.context as object | undefined;
    if (!mutation || !context) return this.subgraph.process(options);
    const fields = rootFieldsOf(mutation);
    const failed = failedMutationField.get(context);
    if (failed) return { data: null, errors: fields.map((field) => mutationNotRun(field, failed).toJSON()) };
    let response: GatewayGraphQLResponse;
    try {
      response = await this.subgraph.process(options);
    } catch (error) {
      failedMutationField.set(context, fields[0] ?? 'mutation');
      throw error;
    }
    const failedField = response.errors?.find((error) => !error.path || error.path.length === 1);
    if (failedField) failedMutationField.set(context, String(failedField.path?.[0] ?? fields[0]));
    return response;
  }
}
