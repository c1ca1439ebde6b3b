import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { GraphQLError } from 'graphql';

// Apollo Server validates an operation with graphql-js; Apollo Gateway's query planner then
// reads it again with Federation's own GraphQL model, which refuses some operations graphql-js
// accepts (introspection of __Type.isOneOf, for one), and Apollo Server answers that refusal
// with HTTP 500. The planner's refusals are GraphQL errors about the operation: the client's
// request cannot be served, a 400 GRAPHQL_VALIDATION_FAILED. Any other failure stays internal.
export function withPlanningErrorsAsBadRequests(gateway: GatewayInterface): GatewayInterface {
  return {
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
    async load(options) {
      const { executor } = await gateway.load(options);
      if (!executor) return { executor };
      return {
        async executor(requestContext) {
          try {
            return await executor(requestContext);
          } catch (error) {
            if (!(error instanceof GraphQLError)) throw error;
            throw new GraphQLError(`The operation cannot be planned over the supergraph: ${error.message}`, {
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}
