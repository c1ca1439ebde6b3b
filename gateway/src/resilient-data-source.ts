import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import retry from 'async-retry';
import { GraphQLError } from 'graphql';
import CircuitBreaker from 'opossum';
import { IDENTITY_HEADER, type Identity, type InternalIdentitySigner } from '../../lib/auth';
import { SubgraphUnavailableError } from '../../lib/errors';
import { logger } from '../../lib/logger';
import { createSubgraphFetcher } from './subgraph-fetcher';

export type ResilienceOptions = {
  // Bounds one subgraph call, retries included; the client never waits longer for it.
  timeoutMs: number;
  // Extra attempts for queries that failed to connect or answer; mutations are never retried.
  retries: number;
  // The breaker opens when this share of calls in the rolling window failed...
  errorThresholdPercentage: number;
  // ...out of at least this many calls,
  volumeThreshold: number;
  // and lets one probe through after this long, once the subgraph reports ready.
  resetTimeoutMs: number;
  // Automatic persisted queries: a query's hash instead of its text once the subgraph has seen
  // it. Off unless asked for, as in Apollo Router: most servers that are not Apollo's refuse a
  // hash-only request, and a subgraph that refuses one gets full queries from then on.
  apq?: boolean;
};

export function resilienceFromEnv(name: string): ResilienceOptions {
  const value = (key: string) => process.env[`${name.toUpperCase()}_${key}`] ?? process.env[`SUBGRAPH_${key}`];
  const setting = (key: string, fallback: number) => Number(value(key) ?? fallback);
  return {
    timeoutMs: setting('TIMEOUT_MS', 3_000),
    retries: setting('RETRIES', 2),
    errorThresholdPercentage: setting('BREAKER_ERROR_PERCENT', 50),
    volumeThreshold: setting('BREAKER_VOLUME', 5),
    resetTimeoutMs: setting('BREAKER_RESET_MS', 5_000),
    apq: /^(true|1)$/i.test(value('APQ') ?? ''),
  };
}

type Process = () => Promise<GatewayGraphQLResponse>;
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

// Whether a subgraph says it can serve: a server without a /ready endpoint (404) says nothing,
// so only an answer of not ready, or none, holds a probe back.
async function reportsReady(readyUrl: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(readyUrl, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok || response.status === 404;
  } catch {
    return false;
  }
}

// A subgraph call with a time limit, retries with exponential backoff and jitter for queries,
// and a circuit breaker, so a failing subgraph costs clients only its own fields and, once the
// breaker is open, costs no waiting at all. Only the subgraph's own failures count against the
// breaker (no connection, a 5xx, no answer in time); a subgraph that answered a request, with
// data, GraphQL errors or a 4xx, is up.
export class ResilientDataSource extends RemoteGraphQLDataSource {
  readonly breaker: CircuitBreaker<[Process], GatewayGraphQLResponse>;
  private readonly readyUrl: string;
  // One readiness check at a time, shared by the requests that arrive while it runs.
  private readinessCheck: Promise<boolean> | undefined;

  constructor(
    readonly name: string,
    url: string,
    private readonly resilience: ResilienceOptions,
    private readonly signer: InternalIdentitySigner,
  ) {
    // Apollo's default fetcher (make-fetch-happen) cost 7 % of the gateway's CPU in the
    // benchmark's profile. The breaker stops waiting after the timeout; the fetcher's signal
    // also closes the abandoned request.
    super({ url, apq: resilience.apq ?? false, fetcher: createSubgraphFetcher(resilience.timeoutMs) });
    this.readyUrl = url.replace(/\/graphql$/, '/ready');
    this.breaker = new CircuitBreaker((call: Process) => call(), {
      timeout: resilience.timeoutMs,
      errorThresholdPercentage: resilience.errorThresholdPercentage,
      volumeThreshold: resilience.volumeThreshold,
      resetTimeout: resilience.resetTimeoutMs,
      rollingCountTimeout: 10_000,
    });
    this.breaker.on('open', () => logger.warn({ subgraph: name }, 'circuit opened'));
    this.breaker.on('halfOpen', () => logger.info({ subgraph: name }, 'circuit half-open: probing once the subgraph reports ready'));
    this.breaker.on('close', () => logger.info({ subgraph: name }, 'circuit closed'));
  }

  get breakerState(): 'open' | 'halfOpen' | 'closed' {
    return this.breaker.opened ? 'open' : this.breaker.halfOpen ? 'halfOpen' : 'closed';
  }

  // Subgraphs trust only the identity the gateway signed, never headers a client sent.
  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<{ identity?: Identity }>): Promise<void> {
    request.http?.headers.set(IDENTITY_HEADER, await this.signer.sign(context.identity ?? { kind: 'anonymous' }));
  }

  override async process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const attempt = async () => {
      try {
        return await this.send(options);
      } catch (error) {
        const refused = refusal(this.name, error);
        if (refused) return refused;
        throw error;
      }
    };
    const isMutation = /^\s*mutation\b/.test(options.request.query ?? '');
    const call: Process = isMutation
      ? attempt
      : () => retry(attempt, { retries: this.resilience.retries, factor: 2, minTimeout: 50, maxTimeout: 400, randomize: true });
    if (await this.probeHeldBack()) throw new SubgraphUnavailableError(this.name, 'its circuit is open until it reports ready');
    try {
      return await this.breaker.fire(call);
    } catch (error) {
      const { code, name } = error as { code?: string; name?: string };
      const reason =
        code === 'EOPENBREAKER' ? 'its circuit is open' : code === 'ETIMEDOUT' || name === 'TimeoutError' ? `no answer within ${this.resilience.timeoutMs} ms` : 'it did not answer';
      throw new SubgraphUnavailableError(this.name, reason);
    }
  }

  // A half-open breaker lets one probe through, and a failed probe reopens it for another reset
  // period. A restarted subgraph answers its first calls slowly until it has warmed up, so the
  // probe waits until the subgraph reports ready; meanwhile clients fail fast.
  private async probeHeldBack(): Promise<boolean> {
    if (!this.breaker.halfOpen || !this.breaker.pendingClose) return false;
    this.readinessCheck ??= reportsReady(this.readyUrl, this.resilience.timeoutMs).finally(() => (this.readinessCheck = undefined));
    return !(await this.readinessCheck);
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
