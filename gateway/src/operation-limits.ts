import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, type ValidationRule } from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { isProduction } from '../../lib/config';

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

// A page multiplies what it selects by the rows it asks for, including the default page size
// and sizes passed as variables.
const pageEstimator: ComplexityEstimator = ({ args, childComplexity }) =>
  typeof args.first === 'number' ? 1 + args.first * childComplexity : undefined;

// Refuses an operation whose rows would multiply past the limit (a page of customers with a
// page of orders each, with a page of items each...), before any subgraph is asked.
function costLimit(maxCost: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema }) {
          let cost: number;
          try {
            cost = getComplexity({ schema, query: document, variables: request.variables, operationName: request.operationName, estimators: [pageEstimator, simpleEstimator({ defaultComplexity: 1 })] });
          } catch {
            // Variables that do not fit their types: execution reports them as BAD_USER_INPUT.
            return;
          }
          if (cost > maxCost) {
            throw new GraphQLError(`The operation would cost ${cost}, above the limit of ${maxCost}: ask for smaller pages or fewer nested lists`, {
              extensions: { code: 'QUERY_TOO_COMPLEX', cost, maxCost, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

// Limits sized for this graph: its deepest useful query (customers → edges → node → orders →
// nodes → items → product → price → amount) is 9 levels deep, its richest a few hundred tokens,
// and a page of 1000 customers with their orders, items, segments and campaigns costs ~60,000.
export function operationLimits(): { plugins: ApolloServerPlugin[]; validationRules: ValidationRule[] } {
  const armor = new ApolloArmor({
    maxDepth: { n: setting('MAX_QUERY_DEPTH', 12) },
    maxAliases: { n: setting('MAX_QUERY_ALIASES', 30) },
    maxTokens: { n: setting('MAX_QUERY_TOKENS', 3000) },
    maxDirectives: { n: 30 },
    // Armor's cost counts only literal page sizes; the plugin below also sees variables.
    costLimit: { enabled: false },
    // "Did you mean …" helps developers and maps the schema for attackers.
    blockFieldSuggestion: { enabled: isProduction() },
  }).protect();
  return { plugins: [...armor.plugins, costLimit(setting('MAX_QUERY_COST', 100_000))], validationRules: armor.validationRules };
}
