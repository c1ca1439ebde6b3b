import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { GraphQLError, Kind, parse, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionNode } from 'graphql';
import { IDENTITY_HEADER, type Identity, type InternalIdentitySigner } from '../../lib/auth';
import { deadlineHeaders } from '../../lib/deadline';
import { SubgraphUnavailableError } from '../../lib/errors';
import { logger } from '../../lib/logger';
import type { ResilienceOptions } from '../../lib/config';
import { ResilientCall, readyUrlOf, type BreakerState } from '../../lib/resilient-call';
import { createSubgraphFetcher } from './subgraph-fetcher';
import { fragmentsOf } from './operation-limits';

export type { ResilienceOptions };

type ErrorLike = { message?: string; extensions?: Record<string, unknown> };
type FailedResponse = { status?: number; body?: { errors?: readonly ErrorLike[] } };

const failedResponse = (error: unknown): FailedResponse | undefined => (error as { extensions?: { response?: FailedResponse } }).extensions?.response;

// How servers without APQ answer a hash-only request: Apollo Server's code and message, and
// the missing query that GraphQL Yoga, Mercurius and others report (Yoga with HTTP 200).
function refusesPersistedQueries(errors: readonly ErrorLike[] | undefined): boolean {
  return (errors ?? []).some(
    (error) => error.extensions?.code === 'PERSISTED_QUERY_NOT_SUPPORTED' || error.message === 'PersistedQueryNotSupported' || /must provide query/i.test(error.message ?? ''),
  );
}

// A subgraph that answers 4xx is up and refused this one request (a variable its scalars
// reject, a body over its limit): the client gets a client error naming the service, and the
// call is neither retried nor counted against the subgraph's circuit.
function refusal(service: string, error: unknown): GatewayGraphQLResponse | null {
  const response = failedResponse(error);
  const status = response?.status ?? 0;
  if (status < 400 || status >= 500) return null;
  if (status === 401) {
    // The operator's problem, not the client's: reported as an outage, though no client causes it.
    return { errors: [new SubgraphUnavailableError(service, 'it refused the gateway’s identity (check INTERNAL_JWT_SECRET and clocks)')] };
  }
  if (status !== 413 && Array.isArray(response?.body?.errors)) return { errors: response.body.errors as GatewayGraphQLResponse['errors'] };
  const reason = status === 413 ? 'the request is larger than it accepts' : `it answered HTTP ${status}`;
  return { errors: [new GraphQLError(`The ${service} service refused the request: ${reason}`, { extensions: { code: 'BAD_REQUEST', service, status } })] };
}

// At most this many errors of this kind go to one client request, however many entities and
// fetches failed; the rest get one error without a path per failed read.
const MAX_FIELD_ERRORS_PER_REQUEST = 1_000;
const fieldErrorsSent = new WeakMap<object, number>();

// Whether @skip/@include leave a selection in, given the request's variables.
function included(selection: SelectionNode, variables: Record<string, unknown> | undefined): boolean {
  return (selection.directives ?? []).every((directive) => {
    if (directive.name.value !== 'skip' && directive.name.value !== 'include') return true;
    const condition = directive.arguments?.find((argument) => argument.name.value === 'if')?.value;
    const value = condition?.kind === Kind.BOOLEAN ? condition.value : condition?.kind === Kind.VARIABLE ? variables?.[condition.name.value] === true : undefined;
    return value === undefined || (directive.name.value === 'skip' ? !value : value);
  });
}

type Selections = { fragments: ReadonlyMap<string, FragmentDefinitionNode>; variables: Record<string, unknown> | undefined };

// The response names a selection asks for, through inline fragments and named ones (the query
// planner reuses a client's fragments in subgraph fetches), leaving out what @skip/@include drop.
function responseNames(selections: readonly SelectionNode[], context: Selections, seen = new Set<string>()): string[] {
  const names = selections.flatMap((selection): string[] => {
    if (!included(selection, context.variables)) return [];
    if (selection.kind === Kind.FIELD) return selection.name.value === '__typename' ? [] : [(selection.alias ?? selection.name).value];
    if (selection.kind === Kind.INLINE_FRAGMENT) return responseNames(selection.selectionSet.selections, context, seen);
    const fragment = context.fragments.get(selection.name.value);
    if (!fragment || seen.has(fragment.name.value)) return [];
    seen.add(fragment.name.value);
    return responseNames(fragment.selectionSet.selections, context, seen);
  });
  return [...new Set(names)];
}

// A read the subgraph did not answer fails every field it was asked for, and says so at each
// of them: `_entities.<i>.<field>` for an entity fetch, which Apollo Gateway turns into the
// field's place in the client's response (`customer.orders`), the root field otherwise. A
// client can then mark exactly what is missing (the web console's "unavailable (sales
// service)") and show the rest. Without a path the error could belong to any field.
function errorsAtFieldsOf(options: GraphQLDataSourceProcessOptions, error: SubgraphUnavailableError): GraphQLError[] {
  const document = ('document' in options ? options.document : undefined) ?? parse(options.request.query ?? '{ __typename }');
  const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  const fragments = fragmentsOf(document);
  // A variable the client left out has the default its operation declares (which the query
  // planner copies into the subgraph's operation).
  const defaults = Object.fromEntries(
    (operation?.variableDefinitions ?? []).flatMap((definition) => (definition.defaultValue?.kind === Kind.BOOLEAN ? [[definition.variable.name.value, definition.defaultValue.value]] : [])),
  );
  const variables = { ...defaults, ...options.request.variables };
  const representations = variables.representations;
  const root = operation?.selectionSet.selections ?? [];
  const entitiesField = root.find((selection): selection is FieldNode => selection.kind === Kind.FIELD && selection.name.value === '_entities');
  const request = 'incomingRequestContext' in options ? options.incomingRequestContext : options;
  const room = MAX_FIELD_ERRORS_PER_REQUEST - (fieldErrorsSent.get(request) ?? 0);
  const paths: (string | number)[][] = [];
  if (entitiesField && Array.isArray(representations)) {
    const fields = responseNames(entitiesField.selectionSet?.selections ?? [], { fragments, variables });
    for (let index = 0; index < representations.length && paths.length <= room; index++) {
      for (const field of fields) paths.push(['_entities', index, field]);
    }
  } else {
    for (const field of responseNames(root, { fragments, variables })) paths.push([field]);
  }
  const errors = paths.slice(0, Math.max(room, 0)).map((path) => new GraphQLError(error.message, { path, extensions: error.extensions }));
  fieldErrorsSent.set(request, MAX_FIELD_ERRORS_PER_REQUEST - room + errors.length);
  return paths.length > errors.length || errors.length === 0 ? [...errors, error] : errors;
}

// A subgraph call through the resilience every subgraph call has (lib/resilient-call.ts):
// queries are retried, mutations never. A subgraph that answered a request, with data,
// GraphQL errors or a 4xx, is up.
export class ResilientDataSource extends RemoteGraphQLDataSource {
  private readonly resilientCall: ResilientCall;
  private readonly closeConnections: () => Promise<void>;

  constructor(
    readonly name: string,
    url: string,
    private readonly resilience: ResilienceOptions,
    private readonly signer: InternalIdentitySigner,
  ) {
    // Apollo's default fetcher (make-fetch-happen) cost 7 % of the gateway's CPU in the
    // benchmark's profile. The breaker stops waiting after the timeout; the fetcher's signal
    // also closes the abandoned request.
    const connections = createSubgraphFetcher(resilience.timeoutMs);
    super({ url, apq: resilience.apq ?? false, fetcher: connections.fetcher });
    this.closeConnections = connections.close;
    this.resilientCall = new ResilientCall(name, () => readyUrlOf(url), resilience);
  }

  get breakerState(): BreakerState {
    return this.resilientCall.state;
  }

  shutdown(): Promise<void> {
    this.resilientCall.shutdown();
    return this.closeConnections();
  }

  // Subgraphs trust only the identity the gateway signed, never headers a client sent.
  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<{ identity?: Identity }>): Promise<void> {
    request.http?.headers.set(IDENTITY_HEADER, await this.signer.sign(context.identity ?? { kind: 'anonymous' }));
    for (const [name, value] of Object.entries(deadlineHeaders(this.resilience.timeoutMs))) request.http?.headers.set(name, value);
  }

  override process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const attempt = async () => {
      try {
        return await this.send(options);
      } catch (error) {
        const refused = refusal(this.name, error);
        if (refused) return refused;
        throw error;
      }
    };
    if (/^\s*mutation\b/.test(options.request.query ?? '')) return this.resilientCall.run(attempt, 'write');
    return this.resilientCall.run(attempt, 'read').catch((error: unknown) => {
      if (!(error instanceof SubgraphUnavailableError)) throw error;
      return { errors: errorsAtFieldsOf(options, error) };
    });
  }

  private async send(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    if (!this.apq) return super.process(options);
    try {
      const response = await super.process(options);
      return refusesPersistedQueries(response.errors) ? await this.sendWithoutApq(options) : response;
    } catch (error) {
      if (refusesPersistedQueries(failedResponse(error)?.body?.errors)) return this.sendWithoutApq(options);
      throw error;
    }
  }

  private sendWithoutApq(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    logger.warn({ subgraph: this.name }, 'subgraph does not support automatic persisted queries: sending full queries from now on');
    this.apq = false;
    return super.process(options);
  }
}
