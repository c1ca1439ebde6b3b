import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, type ValidationRule } from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { isProduction } from '../../lib/config';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../lib/pagination';

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

// A page multiplies what it selects by the rows it can return: sizes passed as variables,
// the default for a missing or null size, and never less than none (a negative size on an alias
// must not subtract from its siblings) or more than a subgraph serves.
const pageEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (!field.args.some((argument) => argument.name === 'first')) return undefined;
  const first = typeof args.first === 'number' ? Math.min(Math.max(args.first, 0), MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
  return 1 + first * childComplexity;
};

// Refuses a request naming an operation its document does not hold, and an operation whose
// rows would multiply past the limit (a page of customers with a page of orders each, with a
// page of items each...), before any subgraph is asked.
function operationChecks(maxCost: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operation }) {
          // Apollo Server leaves this to the executor, and Apollo Gateway's answers it with a 500.
          if (!operation) {
            throw new GraphQLError(`The document has no operation named ${JSON.stringify(request.operationName ?? '')}, or several and no operationName`, {
              extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } },
            });
          }
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
export function operationLimits(): { plugins: ApolloServerPlugin[]; validationRules: ValidationRule[]; maxTokens: number } {
  const armor = new ApolloArmor({
    maxDepth: { n: setting('MAX_QUERY_DEPTH', 12) },
    maxAliases: { n: setting('MAX_QUERY_ALIASES', 30) },
    // Armor counts tokens in a plugin that turns its refusal into a 500; the parser's own
    // limit (below) answers 400 GRAPHQL_PARSE_FAILED.
    maxTokens: { enabled: false },
    maxDirectives: { n: 30 },
    // Armor's cost counts only literal page sizes; the plugin below also sees variables.
    costLimit: { enabled: false },
    // "Did you mean …" helps developers and maps the schema for attackers.
    blockFieldSuggestion: { enabled: isProduction() },
  }).protect();
  return {
    plugins: [...armor.plugins, operationChecks(setting('MAX_QUERY_COST', 100_000))],
    validationRules: armor.validationRules,
    maxTokens: setting('MAX_QUERY_TOKENS', 3000),
  };
}
