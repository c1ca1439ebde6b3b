import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import retry from 'async-retry';
import CircuitBreaker from 'opossum';
import { SubgraphUnavailableError } from '../../lib/errors';
import { logger } from '../../lib/logger';

export type ResilienceOptions = {
  // Bounds one subgraph call, retries included; the client never waits longer for it.
  timeoutMs: number;
  // Extra attempts for queries that failed to connect or answer; mutations are never retried.
  retries: number;
  // The breaker opens when this share of calls in the rolling window failed...
  errorThresholdPercentage: number;
  // ...out of at least this many calls,
  volumeThreshold: number;
  // and lets one probe through after this long.
  resetTimeoutMs: number;
};

export function resilienceFromEnv(name: string): ResilienceOptions {
  const setting = (key: string, fallback: number) => Number(process.env[`${name.toUpperCase()}_${key}`] ?? process.env[`SUBGRAPH_${key}`] ?? fallback);
  return {
    timeoutMs: setting('TIMEOUT_MS', 3_000),
    retries: setting('RETRIES', 2),
    errorThresholdPercentage: setting('BREAKER_ERROR_PERCENT', 50),
    volumeThreshold: setting('BREAKER_VOLUME', 5),
    resetTimeoutMs: setting('BREAKER_RESET_MS', 5_000),
  };
}

type Process = () => Promise<GatewayGraphQLResponse>;

// A subgraph call with a time limit, retries with exponential backoff and jitter for queries,
// and a circuit breaker, so a failing subgraph costs clients only its own fields and, once the
// breaker is open, costs no waiting at all.
export class ResilientDataSource extends RemoteGraphQLDataSource {
  readonly breaker: CircuitBreaker<[Process], GatewayGraphQLResponse>;

  constructor(
    readonly name: string,
    url: string,
    private readonly resilience: ResilienceOptions,
  ) {
    super({ url, apq: true });
    // The breaker stops waiting after the timeout; this also closes the abandoned request.
    const pooledFetcher = this.fetcher;
    this.fetcher = (input, init) => pooledFetcher(input, { ...init, timeout: resilience.timeoutMs } as typeof init);
    this.breaker = new CircuitBreaker((call: Process) => call(), {
      timeout: resilience.timeoutMs,
      errorThresholdPercentage: resilience.errorThresholdPercentage,
      volumeThreshold: resilience.volumeThreshold,
      resetTimeout: resilience.resetTimeoutMs,
      rollingCountTimeout: 10_000,
    });
    this.breaker.on('open', () => logger.warn({ subgraph: name }, 'circuit opened'));
    this.breaker.on('halfOpen', () => logger.info({ subgraph: name }, 'circuit half-open: probing'));
    this.breaker.on('close', () => logger.info({ subgraph: name }, 'circuit closed'));
  }

  get breakerState(): 'open' | 'halfOpen' | 'closed' {
    return this.breaker.opened ? 'open' : this.breaker.halfOpen ? 'halfOpen' : 'closed';
  }

  override async process(options: GraphQLDataSourceProcessOptions): Promise<GatewayGraphQLResponse> {
    const attempt = () => super.process(options);
    const isMutation = /^\s*mutation\b/.test(options.request.query ?? '');
    const call: Process = isMutation
      ? attempt
      : () => retry(attempt, { retries: this.resilience.retries, factor: 2, minTimeout: 50, maxTimeout: 400, randomize: true });
    try {
      return await this.breaker.fire(call);
    } catch (error) {
      const reason = this.breaker.opened && (error as { code?: string }).code === 'EOPENBREAKER' ? 'its circuit is open' : (error as { code?: string }).code === 'ETIMEDOUT' ? `no answer within ${this.resilience.timeoutMs} ms` : 'it did not answer';
      throw new SubgraphUnavailableError(this.name, reason);
    }
  }
}
