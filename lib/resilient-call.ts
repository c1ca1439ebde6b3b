import retry from 'async-retry';
import CircuitBreaker from 'opossum';
import type { ResilienceOptions } from './config';
import { SubgraphUnavailableError } from './errors';
import { logger } from './logger';

export type BreakerState = 'open' | 'halfOpen' | 'closed';

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

type Attempt = () => Promise<unknown>;

// Calls to one subgraph, from the gateway or from a peer subgraph, with a time limit, retries
// with exponential backoff and jitter for reads, and a circuit breaker, so a failing subgraph
// costs its callers only what it owns and, once the breaker is open, costs no waiting at all.
// Only the subgraph's own failures count against the breaker: an attempt throws for no
// connection, a 5xx or no answer in time, and returns whatever the subgraph answered (data,
// GraphQL errors, a 4xx), which is then neither retried nor counted.
export class ResilientCall {
  private readonly breaker: CircuitBreaker<[Attempt], unknown>;
  // One readiness check at a time, shared by the calls that arrive while it runs.
  private readinessCheck: Promise<boolean> | undefined;

  constructor(
    readonly service: string,
    // Read per check: a peer's URL may only be known once it listens.
    private readonly readyUrl: () => string,
    private readonly options: ResilienceOptions,
    logFields: Record<string, string> = {},
  ) {
    this.breaker = new CircuitBreaker((attempt: Attempt) => attempt(), {
      timeout: options.timeoutMs,
      errorThresholdPercentage: options.errorThresholdPercentage,
      volumeThreshold: options.volumeThreshold,
      resetTimeout: options.resetTimeoutMs,
      rollingCountTimeout: 10_000,
    });
    const fields = { subgraph: service, ...logFields };
    this.breaker.on('open', () => logger.warn(fields, 'circuit opened'));
    this.breaker.on('halfOpen', () => logger.info(fields, 'circuit half-open: probing once the subgraph reports ready'));
    this.breaker.on('close', () => logger.info(fields, 'circuit closed'));
  }

  get state(): BreakerState {
    return this.breaker.opened ? 'open' : this.breaker.halfOpen ? 'halfOpen' : 'closed';
  }

  // Throws SubgraphUnavailableError, saying why, when the subgraph did not answer.
  async run<T>(attempt: () => Promise<T>, kind: 'read' | 'write'): Promise<T> {
    const call: Attempt = kind === 'write' ? attempt : () => retry(attempt, { retries: this.options.retries, factor: 2, minTimeout: 50, maxTimeout: 400, randomize: true });
    if (await this.probeHeldBack()) throw new SubgraphUnavailableError(this.service, 'its circuit is open until it reports ready');
    try {
      return (await this.breaker.fire(call)) as T;
    } catch (error) {
      const { code, name } = error as { code?: string; name?: string };
      const reason = code === 'EOPENBREAKER' ? 'its circuit is open' : code === 'ETIMEDOUT' || name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : 'it did not answer';
      throw new SubgraphUnavailableError(this.service, reason);
    }
  }

  shutdown(): void {
    this.breaker.shutdown();
  }

  // A half-open breaker lets one probe through, and a failed probe reopens it for another reset
  // period. A restarted subgraph answers its first calls slowly until it has warmed up, so the
  // probe waits until the subgraph reports ready; meanwhile callers fail fast.
  private async probeHeldBack(): Promise<boolean> {
    if (!this.breaker.halfOpen || !this.breaker.pendingClose) return false;
    this.readinessCheck ??= reportsReady(this.readyUrl(), this.options.timeoutMs).finally(() => (this.readinessCheck = undefined));
    return !(await this.readinessCheck);
  }
}

// A subgraph's readiness endpoint next to its GraphQL one.
export const readyUrlOf = (graphqlUrl: string) => graphqlUrl.replace(/\/graphql$/, '/ready');
