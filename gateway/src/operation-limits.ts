import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContext } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  execute,
  GraphQLError,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import type { Identity } from '../../lib/auth';
import type { Settings } from '../../lib/config';
import type { ErrorCode } from '../../lib/errors';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../lib/pagination';

// A page multiplies what it selects by the rows it can return: sizes passed as variables,
// the default for a missing or null size, and never less than none (a negative size on an alias
// must not subtract from its siblings) or more than a subgraph serves.
const pageEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (!field.args.some((argument) => argument.name === 'first')) return undefined;
  const first = typeof args.first === 'number' ? Math.min(Math.max(args.first, 0), MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
  return 1 + first * childComplexity;
};

// What an operation costs: the rows it can return, page sizes multiplied down its lists.
export function operationCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, operationName: string | undefined | null): number {
  return getComplexity({ schema, query: document, variables, operationName: operationName ?? undefined, estimators: [pageEstimator, simpleEstimator({ defaultComplexity: 1 })] });
}

// Whether an operation selects nothing but __schema, __type and __typename.
function onlyIntrospection(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>): boolean {
  return selectionSet.selections.every((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value.startsWith('__');
    const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
    return !!fragment && onlyIntrospection(fragment.selectionSet, fragments);
  });
}

// What the gateway knows of who sends a request: a user is one caller wherever they connect
// from; callers without a token are told apart only by their address.
// subscriptionFetch: the gateway reading a subscription event's entities for its subscribers.
export type CallerContext = { identity: Identity; clientAddress?: string; subscriptionFetch?: boolean };

function callerOf({ identity, clientAddress }: CallerContext): string {
  if (identity.kind === 'user') return `user:${identity.userId}`;
  if (identity.kind === 'service') return `service:${identity.service}`;
  return `address:${clientAddress ?? 'unknown'}`;
}

// The operation cost each caller has in flight. Each operation within the cost limit is cheap
// enough, but a caller sending many at once can keep a subgraph so busy that everyone's calls
// to it time out and its circuit opens for everyone.
class CallerBudget {
  private readonly inFlight = new Map<string, number>();

  constructor(readonly limit: number) {}

  // How to give the cost back, or undefined when it does not fit what the caller has left.
  reserve(caller: string, cost: number): (() => void) | undefined {
    const current = this.inFlight.get(caller) ?? 0;
    if (current + cost > this.limit) return undefined;
    this.inFlight.set(caller, current + cost);
    return () => {
      const left = this.inFlight.get(caller)! - cost;
      // Callers come and go: only those with work in flight are kept.
      if (left > 0) this.inFlight.set(caller, left);
      else this.inFlight.delete(caller);
    };
  }
}

// Refuses a request naming an operation its document does not hold, an operation whose rows
// would multiply past the limit (a page of customers with a page of orders each, with a page
// of items each...), and one that would take its caller past their budget of cost in flight,
// before any subgraph is asked.
function operationChecks(maxCost: number, budget: CallerBudget): ApolloServerPlugin<CallerContext> {
  // A reservation left behind would lock its caller out for good, so each is given back when
  // its response is sent, and also when the request pipeline fails before it gets there.
  const reservations = new WeakMap<GraphQLRequestContext<CallerContext>, () => void>();
  const release = (requestContext: GraphQLRequestContext<CallerContext>) => {
    reservations.get(requestContext)?.();
    reservations.delete(requestContext);
  };
  return {
    async unexpectedErrorProcessingRequest({ requestContext }) {
      release(requestContext);
    },
    async requestDidStart() {
      return {
        async didResolveOperation(requestContext) {
          const { request, document, schema, operation, contextValue } = requestContext;
          // Apollo Server leaves this to the executor, and Apollo Gateway's answers it with a 500.
          if (!operation) {
            throw new GraphQLError(`The document has no operation named ${JSON.stringify(request.operationName ?? '')}, or several and no operationName`, {
              extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } },
            });
          }
          if (operation.operation === 'subscription') {
            throw new GraphQLError('Subscriptions are served over WebSocket (graphql-ws) or Server-Sent Events (a request with Accept: text/event-stream) on this path, not over plain HTTP', {
              extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
            });
          }
          let cost: number;
          try {
            cost = operationCost(schema, document, request.variables, request.operationName);
          } catch {
            // Variables that do not fit their types: execution reports them as BAD_USER_INPUT.
            return;
          }
          if (cost > maxCost) {
            throw new GraphQLError(`The operation would cost ${cost}, above the limit of ${maxCost}: ask for smaller pages or fewer nested lists`, {
              extensions: { code: 'QUERY_TOO_COMPLEX', cost, maxCost, http: { status: 400 } },
            });
          }
          // Events are read for many subscribers at once, paced by the hub's own fetch limit.
          if (contextValue.subscriptionFetch) return;
          const reservation = budget.reserve(callerOf(contextValue), cost);
          if (!reservation) {
            requestContext.response.http.headers.set('retry-after', '1');
            throw new GraphQLError(`You have too much work in flight: with this operation (cost ${cost}) your running requests would cost more than the ${budget.limit} one caller may have in flight; retry when your earlier requests finish`, {
              extensions: { code: 'RATE_LIMITED' satisfies ErrorCode, cost, maxInFlightCost: budget.limit, http: { status: 429 } },
            });
          }
          reservations.set(requestContext, reservation);
        },
        // Runs once the gateway has finished with the operation however it ended: answered,
        // failed in execution, or timed out at a subgraph. A client that disconnects does not
        // stop the gateway's work, so its cost stays reserved until that work ends.
        async willSendResponse(requestContext) {
          release(requestContext);
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

// A document's fragments by name.
export const fragmentsOf = (document: DocumentNode): Map<string, FragmentDefinitionNode> =>
  new Map(document.definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment]));

// graphql-js ends a message with "Did you mean …?" for a misspelt field, argument, type, input
// field or enum value (in the query or its variables), and a subgraph's messages may too. That
// helps developers and maps the schema for someone who cannot introspect it, so production
// takes it out of every error the gateway sends, wherever it was written.
const SUGGESTION = / ?Did you mean [^?]*\?/g;

export const withoutSuggestion = (message: string): string => message.replace(SUGGESTION, '');

function withoutSuggestions(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          if (result.errors) result.errors = result.errors.map((error) => (error.message.includes('Did you mean') ? { ...error, message: withoutSuggestion(error.message) } : error));
        },
      };
    },
  };
}

// Limits sized for this graph: its deepest useful query (customers → edges → node → orders →
// nodes → items → product → price → amount) is 9 levels deep, its richest a few hundred tokens,
// and a page of 1000 customers with their orders, items, segments and campaigns costs ~60,000.
export function operationLimits(limits: Settings['gateway'], production: boolean): { plugins: ApolloServerPlugin<CallerContext>[]; validationRules: ValidationRule[]; maxTokens: number } {
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
    plugins: [...armor.plugins, operationChecks(limits.maxQueryCost, new CallerBudget(limits.maxCallerInflightCost)), ...(production ? [withoutSuggestions()] : [])],
    validationRules: armor.validationRules,
    maxTokens: limits.maxQueryTokens,
  };
}
