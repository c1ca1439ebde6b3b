import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  execute,
  GraphQLError,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import type { Settings } from '../../lib/config';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../lib/pagination';

// A page multiplies what it selects by the rows it can return: sizes passed as variables,
// the default for a missing or null size, and never less than none (a negative size on an alias
// must not subtract from its siblings) or more than a subgraph serves.
const pageEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (!field.args.some((argument) => argument.name === 'first')) return undefined;
  const first = typeof args.first === 'number' ? Math.min(Math.max(args.first, 0), MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
  return 1 + first * childComplexity;
};

// Whether an operation selects nothing but __schema, __type and __typename.
function onlyIntrospection(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>): boolean {
  return selectionSet.selections.every((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value.startsWith('__');
    const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
    return !!fragment && onlyIntrospection(fragment.selectionSet, fragments);
  });
}

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
        // The gateway's query planner knows introspection without __Type.isOneOf (graphql-js
        // 16.9+ and current tools ask for it): introspection alone is answered here as the
        // gateway would (graphql-js over the API schema, no subgraph asked), without its planner.
        // Errors (variables that do not fit) are left to the gateway, so they are reported and
        // formatted like any other.
        async responseForOperation({ schema, document, operation, request, contextValue }) {
          if (!operation || !onlyIntrospection(operation.selectionSet, fragmentsOf(document))) return null;
          const result = await execute({ schema, document, operationName: request.operationName, variableValues: request.variables, contextValue });
          if (result.errors?.length) return null;
          return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: result } };
        },
      };
    },
  };
}

const fragmentsOf = (document: DocumentNode) =>
  new Map(document.definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment]));

// graphql-js ends a message with "Did you mean …?" for a misspelt field, argument, type, input
// field or enum value (in the query or its variables), and a subgraph's messages may too. That
// helps developers and maps the schema for someone who cannot introspect it, so production
// takes it out of every error the gateway sends, wherever it was written.
const SUGGESTION = / ?Did you mean [^?]*\?/g;

function withoutSuggestions(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          if (result.errors) result.errors = result.errors.map((error) => (error.message.includes('Did you mean') ? { ...error, message: error.message.replace(SUGGESTION, '') } : error));
        },
      };
    },
  };
}

// Limits sized for this graph: its deepest useful query (customers → edges → node → orders →
// nodes → items → product → price → amount) is 9 levels deep, its richest a few hundred tokens,
// and a page of 1000 customers with their orders, items, segments and campaigns costs ~60,000.
export function operationLimits(limits: Settings['gateway'], production: boolean): { plugins: ApolloServerPlugin[]; validationRules: ValidationRule[]; maxTokens: number } {
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxQueryDepth },
    // Armor lets __typename be aliased without limit by default; each alias is still a field
    // the server answers, so 900 of them cost as much as 900 of any other.
    maxAliases: { n: limits.maxQueryAliases, allowList: [] },
    // Armor counts tokens in a plugin that turns its refusal into a 500; the parser's own
    // limit (below) answers 400 GRAPHQL_PARSE_FAILED.
    maxTokens: { enabled: false },
    maxDirectives: { n: 30 },
    // Armor's cost counts only literal page sizes; the plugin below also sees variables.
    costLimit: { enabled: false },
    // Armor masks some suggestions and misses others ("Did you mean the enum value …");
    // withoutSuggestions removes them all.
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return {
    plugins: [...armor.plugins, operationChecks(limits.maxQueryCost), ...(production ? [withoutSuggestions()] : [])],
    validationRules: armor.validationRules,
    maxTokens: limits.maxQueryTokens,
  };
}
