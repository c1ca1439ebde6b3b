import http from 'node:http';
import { ApolloServer, type ApolloServerPlugin, type BaseContext, type GraphQLRequest } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { unwrapResolverError } from '@apollo/server/errors';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import type { GraphQLSchema, ValidationRule } from 'graphql';
import { AuthenticationError, type Identity } from './auth';
import { followCallerDeadline } from './deadline';
import { processSettings, type Settings } from './config';
import { isStatementTimeout } from './db';
import { logger } from './logger';
import { registerProcessMetrics, type Metrics } from './metrics';

// `ready` decides the status code; dependencies say what each one is doing.
export type Readiness = { ready: boolean; dependencies: Record<string, unknown> };

export type RunningServer = {
  name: string;
  url: string;
  port: number;
  // Reports not-ready at once, keeps serving for graceMs (so load balancers and the gateway
  // stop sending before the port closes), then stops after in-flight requests finish.
  drain(graceMs: number): Promise<void>;
  stop(): Promise<void>;
};

// 'starting' until warm-up has run; 'draining' from the first shutdown signal on.
type Lifecycle = 'starting' | 'serving' | 'draining';

type ServerOptions<Ctx extends BaseContext> = {
  name: string;
  // Production answers without introspection, stack traces or internal error messages.
  production: boolean;
  port: number;
  host?: string;
  schema?: GraphQLSchema;
  gateway?: GatewayInterface;
  plugins?: ApolloServerPlugin<Ctx>[];
  validationRules?: ValidationRule[];
  maxTokens?: number;
  // Largest request body; the gateway limits clients, subgraphs the gateway's larger requests.
  maxBodyBytes: string;
  // Subgraphs: the gateway's time budget becomes the request's deadline (lib/deadline.ts).
  followsCallerDeadline?: boolean;
  // Answers browsers' preflight requests and adds Access-Control-* headers (gateway only).
  cors?: express.RequestHandler;
  // Work done once after listening and before reporting ready, so the first real request
  // does not pay for cold caches and connections.
  warmUp?: (url: string) => Promise<void>;
  // Who is calling; throws AuthenticationError for credentials that do not check out.
  authenticate: (req: express.Request) => Promise<Identity>;
  context: (req: express.Request, identity: Identity) => Promise<Ctx>;
  readiness: () => Promise<Readiness>;
  metrics: Metrics;
  // Other protocols on the GraphQL path (the gateway's subscriptions over WebSocket and SSE),
  // given the HTTP server and a way to run operations through Apollo's pipeline.
  streaming?: (server: { httpServer: http.Server; execute: (request: GraphQLRequest, contextValue: Ctx) => Promise<FormattedExecutionResult> }) => StreamingEndpoint;
  // Other routes of the service (the gateway's web console), outside /graphql.
  routes?: express.Router;
  onStop?: () => Promise<void>;
};

// Long-lived streams end before the server stops, so stopping does not wait for them.
export type StreamingEndpoint = { handler: express.RequestHandler; close(): Promise<void> };

// Codes a client caused and may read; anything else is an internal failure whose details
// (messages with SQL, stack traces) stay in the log.
const CLIENT_CODES = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'SUBGRAPH_UNAVAILABLE',
  'DATABASE_UNAVAILABLE',
  'QUERY_TIMEOUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'QUERY_TOO_COMPLEX',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'MUTATION_NOT_RUN',
  'RATE_LIMITED',
  'EVENT_REPLAY_UNAVAILABLE',
]);

const KNOWN_ROUTES = new Set(['/graphql', '/health', '/ready', '/metrics']);

// Prisma's codes for a database it cannot reach, or that dropped the connection, and the
// socket errors node-postgres passes through.
const UNREACHABLE_DATABASE = /^(P1001|P1002|P1017|P2024|ECONNREFUSED|ECONNRESET|ETIMEDOUT|57P01|57P03)$/;

function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  const cause = (error as { cause?: { code?: unknown; originalCode?: unknown } })?.cause;
  return [code, cause?.code, cause?.originalCode].some((value) => typeof value === 'string' && UNREACHABLE_DATABASE.test(value)) || /Can't reach database server|Connection terminated|ECONNREFUSED|timeout exceeded when trying to connect/.test(String((error as Error)?.message));
}

function requestRefused(error: unknown): boolean {
  const status = error instanceof GraphQLError ? (error.extensions.http as { status?: number } | undefined)?.status : undefined;
  return typeof status === 'number' && status >= 400 && status < 500;
}

export function formatError(formatted: GraphQLFormattedError, error: unknown, service: string, production: boolean): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && CLIENT_CODES.has(code)) return formatted;
  const original = unwrapResolverError(error);
  // Apollo Server refuses some malformed requests (a persisted-query hash that does not match
  // its query, an unknown persisted-query version) with a 4xx status but no code.
  if (requestRefused(original)) return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
  if (isDatabaseUnavailable(original)) {
    logger.warn({ err: original, service }, 'database unavailable');
    return { message: `The ${service} database is unavailable; try again shortly`, path: formatted.path, extensions: { code: 'DATABASE_UNAVAILABLE', service } };
  }
  if (isStatementTimeout(original)) {
    logger.warn({ err: original, service, path: formatted.path }, 'statement cancelled by its time limit');
    return { message: `The ${service} database stopped a statement that ran past its time limit; ask for less or try again`, path: formatted.path, extensions: { code: 'QUERY_TIMEOUT', service } };
  }
  logger.error({ err: original, path: formatted.path }, 'unexpected error');
  if (!production) return formatted;
  return { message: 'Internal server error', path: formatted.path, locations: formatted.locations, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

// The one way every service (subgraph or gateway) serves GraphQL, health and readiness.
export async function startGraphQLServer<Ctx extends BaseContext>(options: ServerOptions<Ctx>): Promise<RunningServer> {
  const { production } = options;
  const app = express();
  const httpServer = http.createServer(app);
  // Longer than the gateway's idle sockets live, so the server never closes one mid-reuse.
  httpServer.keepAliveTimeout = 65_000;
  httpServer.on('connection', () => options.metrics.connections.inc());
  const apollo = new ApolloServer<Ctx>({
    ...(options.gateway ? { gateway: options.gateway } : { schema: options.schema! }),
    // Apollo would stop the server at once on SIGTERM (outside NODE_ENV=test); runStandalone
    // drains first: not-ready, then serving for the grace period, then stopping.
    stopOnTerminationSignals: false,
    formatError: (formatted: GraphQLFormattedError, error: unknown) => formatError(formatted, error, options.name, production),
    includeStacktraceInErrorResponses: !production,
    introspection: !production,
    // Cache hints are unused here (no HTTP or CDN caching of GraphQL answers), and computing
    // them wraps every resolver: a tenth of the sales subgraph's CPU in the benchmark.
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginCacheControlDisabled(), ...(options.plugins ?? [])],
    validationRules: options.validationRules,
    parseOptions: options.maxTokens ? { maxTokens: options.maxTokens } : undefined,
    // Apollo pretty-prints responses by default, 5 % of the gateway's CPU under load.
    stringifyResult: JSON.stringify,
  } as ConstructorParameters<typeof ApolloServer<Ctx>>[0]);
  await apollo.start();

  app.disable('x-powered-by');
  registerProcessMetrics(options.metrics);
  app.use((req, res, next) => {
    // Unknown paths share one label, so probing clients cannot grow the series without bound.
    const route = KNOWN_ROUTES.has(req.path) ? req.path : 'other';
    const stopTimer = options.metrics.httpRequests.startTimer({ route });
    res.once('finish', () => stopTimer({ status: String(res.statusCode) }));
    next();
  });
  app.get('/metrics', async (_req, res) => {
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: options.name });
  });
  let lifecycle: Lifecycle = 'starting';
  app.get('/ready', async (_req, res) => {
    if (lifecycle !== 'serving') return void res.status(503).json({ status: lifecycle, service: options.name });
    const { ready, dependencies } = await options.readiness();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', service: options.name, dependencies });
  });
  // While draining, kept-alive clients are told to reconnect elsewhere after each answer, so
  // no idle connection is left to be cut when the port closes.
  app.use((_req, res, next) => {
    if (lifecycle === 'draining') res.setHeader('connection', 'close');
    next();
  });
  // Credentials are checked before the body is read: a subgraph spends nothing on a caller
  // without a signed identity, and a gateway nothing on a bad token.
  const authenticate: express.RequestHandler = (req, res, next) => {
    if (req.method === 'OPTIONS') return next();
    options.authenticate(req).then(
      (identity) => {
        res.locals.identity = identity;
        next();
      },
      (error) => {
        if (!(error instanceof AuthenticationError)) return next(error);
        // In the media type the client asked for, like every other GraphQL answer.
        const type = req.accepts(['application/graphql-response+json', 'application/json']) || 'application/json';
        res
          .status(error.status)
          .type(type)
          .send(JSON.stringify({ errors: [{ message: error.message, extensions: { code: error.status === 503 ? 'IDENTITY_PROVIDER_UNAVAILABLE' : 'UNAUTHENTICATED' } }] }));
      },
    );
  };
  const streaming = options.streaming?.({
    httpServer,
    execute: async (request, contextValue) => {
      const response = await apollo.executeOperation(request, { contextValue });
      return response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
    },
  });
  if (options.cors) app.use('/graphql', options.cors);
  if (options.routes) app.use(options.routes);
  app.use(
    '/graphql',
    authenticate,
    express.json({ limit: options.maxBodyBytes }),
    ...(options.followsCallerDeadline ? [followCallerDeadline] : []),
    ...(streaming ? [streaming.handler] : []),
    expressMiddleware(apollo, { context: ({ req, res }) => options.context(req, res.locals.identity as Identity) }),
  );
  app.use(((err, _req, res, next) => {
    if (res.headersSent) return next(err);
    const status = typeof err.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) logger.error({ err }, 'request failed');
    res.status(status).json({ errors: [{ message: status === 500 ? 'Internal server error' : err.message, extensions: { code: status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST' } }] });
  }) as express.ErrorRequestHandler);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') return reject(error);
      void apollo.stop();
      reject(new PortInUseError(options.name, options.port));
    });
    httpServer.listen(options.port, options.host ?? '127.0.0.1', resolve);
  });
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${port}/graphql`;
  logger.info({ service: options.name, url }, 'listening');
  try {
    await options.warmUp?.(url);
  } catch (error) {
    // A database that is away at start-up is what readiness reports; the service still serves.
    logger.warn({ err: error, service: options.name }, 'warm-up failed');
  }
  if (lifecycle === 'starting') lifecycle = 'serving';
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await streaming?.close();
      await apollo.stop();
      await options.onStop?.();
    })());
  return {
    name: options.name,
    url,
    port,
    async drain(graceMs) {
      lifecycle = 'draining';
      await new Promise((resolve) => setTimeout(resolve, graceMs));
      await stop();
    },
    stop,
  };
}

export class PortInUseError extends Error {
  constructor(service: string, port: number) {
    super(`Port ${port} is already in use: stop what listens there, or set ${portVariable(service)} to another port`);
  }
}

export const portVariable = (service: string) => `${service.toUpperCase()}_PORT`;

// A service started on its own (a container), with the settings of its process: on SIGTERM/SIGINT
// it reports not-ready, serves for SHUTDOWN_GRACE_MS, then stops; exit 1 if it cannot start,
// a wrong setting included.
export function runStandalone(name: string, start: (settings: Settings) => Promise<RunningServer>): void {
  const started = (async () => {
    const settings = processSettings();
    return { server: await start(settings), graceMs: settings.shutdownGraceMs };
  })();
  started.then(
    ({ server, graceMs }) => {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => {
          logger.info({ service: name, signal, graceMs }, 'draining');
          server.drain(graceMs).then(
            () => process.exit(0),
            () => process.exit(1),
          );
        });
      }
    },
    (error) => {
      logger.fatal({ err: error, service: name }, 'failed to start');
      process.exit(1);
    },
  );
}
