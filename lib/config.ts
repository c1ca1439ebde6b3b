import path from 'node:path';
import { z } from 'zod';
import type { InProcessBroker } from './events/in-process-transport';
import { DEFAULT_INTERNAL_TOKEN_TTL_SECONDS, InsecureConfigurationError, secretFromEnv, type DEVELOPMENT_SECRETS } from './auth';

// The registry of subgraphs, the one list of them: each with its default port, in the order the
// development tools start and seed them (a subgraph's demo data may refer to earlier ones').
// Everything else finds a subgraph's files from its name (docs/adding-a-subgraph.md).
const SUBGRAPH_PORTS = { customer: 4001, sales: 4002, marketing: 4003 } as const;

export type SubgraphName = keyof typeof SUBGRAPH_PORTS;
export const SUBGRAPH_NAMES = Object.keys(SUBGRAPH_PORTS) as readonly SubgraphName[];

export const DEFAULT_PORTS = { gateway: 4000, ...SUBGRAPH_PORTS } as const;
export type ServiceName = keyof typeof DEFAULT_PORTS;

export type Environment = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

// Every wrong variable at once, each named with the form it must take, so one failed start
// is enough to fix them all.
export class ConfigurationError extends Error {}

// What a variable must look like: described for the message, checked and converted by zod.
type Form<T> = { expected: string; schema: z.ZodType<T, string> };

const wholeNumber = (min: number, max: number, unit?: string): Form<number> => ({
  expected: `a whole number${unit ? ` of ${unit}` : ''} between ${min} and ${max}`,
  schema: z.string().regex(/^\d+$/).transform(Number).pipe(z.number().min(min).max(max)),
});
const milliseconds = (min: number, max = 600_000) => wholeNumber(min, max, 'milliseconds');
const PORT = wholeNumber(0, 65_535);
const HTTP_URL: Form<string> = { expected: 'an http:// or https:// URL', schema: z.url({ protocol: /^https?$/ }) };
const NATS_URL: Form<string> = { expected: 'a nats:// URL (several separated by commas)', schema: z.string().regex(/^nats:\/\/[^\s,]+(,nats:\/\/[^\s,]+)*$/) };
const POSTGRES_URL: Form<string> = { expected: 'a postgres:// or postgresql:// URL', schema: z.url({ protocol: /^postgres(ql)?$/ }) };
// As Express's body parser reads a limit.
const BYTE_SIZE: Form<string> = { expected: 'a size such as 1048576, 512kb or 1mb', schema: z.string().regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i) };
const FLAG: Form<boolean> = { expected: 'true or false', schema: z.string().regex(/^(true|false|1|0)$/i).transform((value) => /^(true|1)$/i.test(value)) };
const NAME: Form<string> = { expected: 'a name without spaces', schema: z.string().regex(/^\S+$/) };
const TEXT: Form<string> = { expected: 'text', schema: z.string() };
const LOG_LEVEL: Form<LogLevel> = { expected: `one of ${LOG_LEVELS.join(', ')}`, schema: z.string().pipe(z.enum(LOG_LEVELS)) };
// Only production applies the production rules, so any other value (a mistyped "prod") would
// quietly run on the public development secrets.
const NODE_ENVS = ['development', 'test', 'production'] as const;
const NODE_ENV: Form<(typeof NODE_ENVS)[number]> = { expected: `one of ${NODE_ENVS.join(', ')}`, schema: z.string().pipe(z.enum(NODE_ENVS)) };
// Browsers send an origin without a path; a trailing slash is a common slip, not another origin.
const ORIGINS: Form<string[]> = {
  expected: 'comma-separated origins such as https://crm.example.com',
  schema: z
    .string()
    .transform((list) => list.split(',').map((origin) => origin.trim().replace(/\/$/, '')).filter(Boolean))
    .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/))),
};

const defaultLogLevel = (env: Environment): LogLevel => (env.NODE_ENV === 'test' ? 'silent' : 'info');

// For the logger, made once per process when first imported, before any service reads its
// settings: a LOG_LEVEL it cannot read falls back here and stops the service when it starts.
export function logLevel(env: Environment = process.env): LogLevel {
  const parsed = LOG_LEVEL.schema.safeParse(env.LOG_LEVEL?.trim());
  return parsed.success ? parsed.data : defaultLogLevel(env);
}

// How calls to one subgraph are bounded (lib/resilient-call.ts).
export type ResilienceOptions = {
  // Bounds one subgraph call, retries included; the caller never waits longer for it.
  timeoutMs: number;
  // Extra attempts for reads that failed to connect or answer; writes are never retried.
  retries: number;
  // The breaker opens when this share of calls in the rolling window failed...
  errorThresholdPercentage: number;
  // ...out of at least this many calls,
  volumeThreshold: number;
  // and lets one probe through after this long, once the subgraph reports ready.
  resetTimeoutMs: number;
  // Automatic persisted queries (gateway only): a query's hash instead of its text once the
  // subgraph has seen it. Off unless asked for, as in Apollo Router: most servers that are not
  // Apollo's refuse a hash-only request, and a subgraph that refuses one gets full queries from
  // then on.
  apq?: boolean;
};

// Gateway → subgraph calls read <NAME>_<suffix>, then SUBGRAPH_<suffix>, then the default.
const RESILIENCE_VARIABLES = [
  ['timeoutMs', 'TIMEOUT_MS', milliseconds(1), 3_000],
  ['retries', 'RETRIES', wholeNumber(0, 10), 2],
  ['errorThresholdPercentage', 'BREAKER_ERROR_PERCENT', wholeNumber(1, 100), 50],
  ['volumeThreshold', 'BREAKER_VOLUME', wholeNumber(1, 10_000), 5],
  ['resetTimeoutMs', 'BREAKER_RESET_MS', milliseconds(1), 5_000],
  ['apq', 'APQ', FLAG, false],
] as const satisfies readonly (readonly [keyof ResilienceOptions, string, Form<number> | Form<boolean>, number | boolean])[];

// Reads variables, collecting what is wrong instead of stopping at the first. Empty counts as
// unset, as orchestrators write a variable they were given no value for.
function reader(env: Environment) {
  const problems: string[] = [];
  function read<T>(name: string, form: Form<T>): T | undefined;
  function read<T>(name: string, form: Form<T>, fallback: T): T;
  function read<T>(name: string, form: Form<T>, fallback?: T): T | undefined {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const parsed = form.schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    problems.push(`${name} must be ${form.expected}, got ${JSON.stringify(env[name])}`);
    return fallback;
  }
  return { read, problems };
}

function parseEnvironment(env: Environment) {
  const { read, problems } = reader(env);
  const upper = (name: string) => name.toUpperCase();
  const anyPort = read('PORT', PORT);
  const sharedResilience = Object.fromEntries(RESILIENCE_VARIABLES.map(([key, suffix, form, fallback]) => [key, read(`SUBGRAPH_${suffix}`, form as Form<unknown>, fallback)]));
  const nodeEnv = read('NODE_ENV', NODE_ENV);
  const maxQueryCost = read('MAX_QUERY_COST', wholeNumber(1, 1_000_000_000), 100_000);
  // Operation cost one caller may have in flight at the gateway. Never below the cost limit, so
  // any operation the gateway accepts can run once the caller's earlier ones have finished.
  const maxCallerInflightCost = read('MAX_CALLER_INFLIGHT_COST', wholeNumber(1, 1_000_000_000_000), Math.ceil(maxQueryCost * 1.5));
  if (maxCallerInflightCost < maxQueryCost) problems.push(`MAX_CALLER_INFLIGHT_COST must be at least MAX_QUERY_COST (${maxQueryCost}), got ${maxCallerInflightCost}`);
  const settings = {
    nodeEnv,
    production: nodeEnv === 'production',
    logLevel: read('LOG_LEVEL', LOG_LEVEL, defaultLogLevel(env)),
    host: read('HOST', NAME, '0.0.0.0'),
    // PORT is for a service started alone; <SERVICE>_PORT wins over it.
    ports: Object.fromEntries((Object.keys(DEFAULT_PORTS) as ServiceName[]).map((name) => [name, read(`${upper(name)}_PORT`, PORT, anyPort ?? DEFAULT_PORTS[name])])) as Record<ServiceName, number>,
    // Where the gateway and peer subgraphs reach each subgraph.
    subgraphUrls: Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, read(`${upper(name)}_URL`, HTTP_URL, `http://127.0.0.1:${DEFAULT_PORTS[name]}/graphql`)])) as Record<SubgraphName, string>,
    // Unset: `npm start` gives the subgraph an embedded database; a service alone refuses to start.
    databaseUrls: Object.fromEntries(SUBGRAPH_NAMES.flatMap((name) => {
      const url = read(`${upper(name)}_DATABASE_URL`, POSTGRES_URL);
      return url ? [[name, url]] : [];
    })) as Partial<Record<SubgraphName, string>>,
    database: {
      poolSize: read('DATABASE_POOL_SIZE', wholeNumber(1, 100), 10),
      // Shorter than the gateway's 3000 ms subgraph time limit, so the work of a request the
      // gateway has given up on stops instead of holding a connection. 0 turns the limit off.
      statementTimeoutMs: read('DATABASE_STATEMENT_TIMEOUT_MS', milliseconds(0), 2_500),
    },
    auth: {
      // Checked when a service that needs them starts (secretFromEnv's rules), not here: only
      // the gateway needs the user-token secret.
      secrets: { AUTH_JWT_SECRET: env.AUTH_JWT_SECRET, INTERNAL_JWT_SECRET: env.INTERNAL_JWT_SECRET },
      issuer: read('AUTH_ISSUER', TEXT),
      audience: read('AUTH_AUDIENCE', TEXT),
      rolesClaim: read('AUTH_ROLES_CLAIM', NAME, 'roles'),
      jwksUrl: read('AUTH_JWKS_URL', HTTP_URL),
      internalTokenTtlSeconds: read('INTERNAL_TOKEN_TTL_SECONDS', wholeNumber(1, 86_400, 'seconds'), DEFAULT_INTERNAL_TOKEN_TTL_SECONDS),
    },
    gateway: {
      maxBodyBytes: read('MAX_BODY_BYTES', BYTE_SIZE, '1mb'),
      corsOrigins: read('CORS_ORIGINS', ORIGINS, []),
      readinessCacheMs: read('READINESS_CACHE_MS', milliseconds(0), 1_000),
      maxQueryDepth: read('MAX_QUERY_DEPTH', wholeNumber(1, 1_000), 12),
      maxQueryAliases: read('MAX_QUERY_ALIASES', wholeNumber(0, 10_000), 30),
      maxQueryTokens: read('MAX_QUERY_TOKENS', wholeNumber(1, 1_000_000), 3_000),
      maxQueryCost,
      maxCallerInflightCost,
      // The web console's built files (npm run build:web), served at /; empty: not served.
      webConsoleDir: read('WEB_CONSOLE_DIR', TEXT, path.join(__dirname, '..', 'web', 'dist')),
    },
    // Subscriptions at the gateway (docs/subscriptions.md).
    subscriptions: {
      // How far back a reconnecting client may resume with the last event id it saw.
      replayWindowMs: read('SUBSCRIPTION_REPLAY_WINDOW_MS', milliseconds(0, 3_600_000), 300_000),
      // Events kept for resuming, whatever the window: bounds the gateway's memory under a burst.
      replayMaxEvents: read('SUBSCRIPTION_REPLAY_MAX_EVENTS', wholeNumber(0, 10_000_000), 50_000),
      // A subscriber with more results than this waiting to be sent is dropped.
      maxQueuedEvents: read('SUBSCRIPTION_MAX_QUEUED_EVENTS', wholeNumber(1, 100_000), 100),
      // An SSE response holding more unsent bytes than this is ended (its client is not reading).
      maxBufferedBytes: read('SUBSCRIPTION_MAX_BUFFERED_BYTES', wholeNumber(1_024, 1_073_741_824, 'bytes'), 1_048_576),
      // Subscriptions one WebSocket connection may hold open at once.
      maxPerConnection: read('SUBSCRIPTION_MAX_PER_CONNECTION', wholeNumber(1, 10_000), 100),
      // Subscriptions one user may hold open on one gateway, over every connection and stream.
      maxPerUser: read('SUBSCRIPTION_MAX_PER_USER', wholeNumber(1, 100_000), 200),
      // Federated fetches for events that the gateway runs at once; more wait their turn.
      fetchConcurrency: read('SUBSCRIPTION_FETCH_CONCURRENCY', wholeNumber(1, 1_000), 32),
    },
    subgraph: {
      maxBodyBytes: read('SUBGRAPH_MAX_BODY_BYTES', BYTE_SIZE, '64mb'),
      // A peer call's time limit; its retries and breaker follow the peer's resilience settings.
      peerTimeoutMs: read('PEER_TIMEOUT_MS', milliseconds(1), 5_000),
    },
    // For a subgraph the registry does not list (a gateway over another supergraph).
    sharedResilience: sharedResilience as Required<ResilienceOptions>,
    resilience: Object.fromEntries(
      SUBGRAPH_NAMES.map((name) => [name, Object.fromEntries(RESILIENCE_VARIABLES.map(([key, suffix, form]) => [key, read(`${upper(name)}_${suffix}`, form as Form<unknown>, sharedResilience[key])]))]),
    ) as Record<SubgraphName, Required<ResilienceOptions>>,
    shutdownGraceMs: read('SHUTDOWN_GRACE_MS', milliseconds(0), 5_000),
    // The event backbone (docs/events.md). Without NATS_URL, events travel inside the process.
    events: {
      natsUrl: read('NATS_URL', NATS_URL),
      // Production needs a broker between its containers; this says a one-process deployment
      // (or a test) means to run without one.
      allowInProcess: read('EVENTS_IN_PROCESS', FLAG, false),
      // Prefix of the streams, subjects and consumers, so platforms can share a NATS server.
      namespace: read('EVENT_NAMESPACE', { expected: 'letters, digits, _ or -', schema: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }, 'crm'),
      relay: {
        // The relay wakes at each commit (LISTEN/NOTIFY); this is how often it looks anyway.
        pollMs: read('EVENT_RELAY_POLL_MS', milliseconds(10), 1_000),
        batchSize: read('EVENT_RELAY_BATCH', wholeNumber(1, 10_000), 500),
        // Published events are kept this long in the outbox for inspection, then deleted.
        retentionHours: read('EVENT_OUTBOX_RETENTION_HOURS', wholeNumber(1, 100_000, 'hours'), 168),
      },
      consumer: {
        // Attempts before an event that keeps failing goes to the dead-letter subject.
        maxDeliveries: read('EVENT_MAX_DELIVERIES', wholeNumber(1, 1_000), 5),
        // Delay before the next attempt, times the attempts so far.
        retryDelayMs: read('EVENT_RETRY_DELAY_MS', milliseconds(1), 500),
        // Deliveries one consumer applies at once; handlers are written to be order-insensitive
        // (sequence-guarded state, recomputation under a lock), so this is only a throughput knob.
        concurrency: read('EVENT_CONSUMER_CONCURRENCY', wholeNumber(1, 256), 8),
      },
      nats: {
        duplicateWindowMs: read('EVENT_DUPLICATE_WINDOW_MS', milliseconds(1_000, 86_400_000), 600_000),
        ackWaitMs: read('EVENT_ACK_WAIT_MS', milliseconds(100), 30_000),
        replicas: read('NATS_STREAM_REPLICAS', wholeNumber(1, 5), 1),
      },
    },
    // Read by `npm start` only.
    dev: { dataDir: read('DATA_DIR', TEXT), seed: read('SEED', FLAG, true) },
  };
  if (problems.length) throw new ConfigurationError(problems.join('; '));
  return settings;
}

type Frozen<T> = { readonly [K in keyof T]: T[K] extends object ? Frozen<T[K]> : T[K] };

function deepFreeze<T extends object>(value: T): Frozen<T> {
  for (const child of Object.values(value)) if (child && typeof child === 'object') deepFreeze(child);
  return Object.freeze(value) as Frozen<T>;
}

export type Settings = Frozen<ReturnType<typeof parseEnvironment>>;

// Each service reads its settings when it starts, so tests that start several in one process
// can change the environment in between; throws ConfigurationError naming every wrong variable.
export function loadSettings(env: Environment = process.env): Settings {
  return deepFreeze(parseEnvironment(env));
}

let processWide: Settings | undefined;

// The process's settings, read once: a service started on its own, and the dev tools.
export function processSettings(): Settings {
  return (processWide ??= loadSettings());
}

export function secret(settings: Settings, name: keyof typeof DEVELOPMENT_SECRETS): string {
  return secretFromEnv(name, { NODE_ENV: settings.nodeEnv, ...settings.auth.secrets });
}

// How users' tokens are checked: an HS256 secret, or the JWKS of an identity provider.
export type UserTokenSettings = { issuer: string; audience: string; rolesClaim: string } & ({ secret: string } | { jwksUrl: string });

// Production names the issuer and audience it trusts; a development default there would accept
// tokens minted for something else.
export function userTokenSettings(settings: Settings): UserTokenSettings {
  const required = (name: string, value: string | undefined, developmentDefault: string) => {
    if (value) return value;
    if (settings.production) throw new InsecureConfigurationError(`Refusing to start in production: ${name} is not set`);
    return developmentDefault;
  };
  const { issuer, audience, rolesClaim, jwksUrl } = settings.auth;
  const common = { issuer: required('AUTH_ISSUER', issuer, 'crm-dev'), audience: required('AUTH_AUDIENCE', audience, 'crm-api'), rolesClaim };
  return jwksUrl ? { ...common, jwksUrl } : { ...common, secret: secret(settings, 'AUTH_JWT_SECRET') };
}

// eventBroker: the in-process broker the subgraphs of one platform share when there is no NATS.
export type SubgraphOptions<P> = { databaseUrl: string; port: number; host?: string; peers: P; settings?: Settings; eventBroker?: InProcessBroker };

// A service started on its own (a container) takes everything from its settings.
export function standaloneOptions<P>(settings: Settings, name: SubgraphName, peers: P): SubgraphOptions<P> {
  const databaseUrl = settings.databaseUrls[name];
  if (!databaseUrl) throw new ConfigurationError(`${name.toUpperCase()}_DATABASE_URL is not set`);
  return { databaseUrl, port: settings.ports[name], host: settings.host, peers, settings };
}
