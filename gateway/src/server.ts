import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { loadSettings, secret, userTokenSettings, type ResilienceOptions, type Settings, type SubgraphName, type UserTokenSettings } from '../../lib/config';
import { runStandalone, startGraphQLServer, type RunningServer } from '../../lib/http-server';
import { DEVELOPMENT_SECRETS, InternalIdentitySigner } from '../../lib/auth';
import { createMetrics } from '../../lib/metrics';
import { readyUrlOf } from '../../lib/resilient-call';
import { createUserAuthenticator, mintDevelopmentToken, type DemoUser } from './authentication';
import { SUPERGRAPH_FILE, withoutSecurityFeatures } from './compose';
import { operationLimits, type CallerContext } from './operation-limits';
import { gatewayCors } from './cors';
import { withPlanningErrorsAsBadRequests } from './planning-errors';
import { SerialMutations } from './serial-mutations';
import { ResilientDataSource } from './resilient-data-source';
import { connectTransport } from '../../lib/events/runtime';
import type { InProcessBroker } from '../../lib/events/in-process-transport';
import { RecentEvents } from '../../lib/events/recent-events';
import { SubscriptionHub } from './subscriptions/hub';
import { subscriptionAccess } from './subscriptions/operation';
import { serveSubscriptionTransports, type SubscriptionTransports } from './subscriptions/transports';
import { webConsoleRoutes } from './web-console';
import { variableErrorFields } from './variable-errors';
import type { GraphQLSchema } from 'graphql';
import bytes from 'bytes';
import type { Identity } from '../../lib/auth';

export type GatewayOptions = {
  port: number;
  host?: string;
  // Where each subgraph of the supergraph is reached, when not at the URL the supergraph records.
  subgraphUrls: Readonly<Partial<Record<string, string>>>;
  supergraphSdl?: string;
  // Read from the environment when the gateway starts unless given; the options below win over it.
  settings?: Settings;
  resilience?: Partial<Record<string, ResilienceOptions>>;
  userTokens?: UserTokenSettings;
  readinessCacheMs?: number;
  // The broker of a platform run in one process (`npm start`, tests); otherwise NATS_URL's.
  eventBroker?: InProcessBroker;
};

// Each status check asks every subgraph's /ready (a database query each): answers are
// shared for a moment, and callers arriving meanwhile wait for the check already running, so
// probes and anonymous floods of /ready cost the subgraphs at most one check per period.
function remembered<T>(forMs: number, check: () => Promise<T>): () => Promise<T> {
  let latest: { value: Promise<T>; at: number } | undefined;
  return () => {
    if (!latest || Date.now() - latest.at >= forMs) {
      // While the check runs it is reused; the period starts when its answer arrives, and a
      // failed check is not kept.
      const entry = { value: check(), at: Number.POSITIVE_INFINITY };
      latest = entry;
      entry.value.then(
        () => void (entry.at = Date.now()),
        () => void (latest === entry && (latest = undefined)),
      );
    }
    return latest.value;
  };
}

async function subgraphStatus(url: string): Promise<'up' | 'down'> {
  try {
    const response = await fetch(readyUrlOf(url), { signal: AbortSignal.timeout(2_000) });
    return response.ok ? 'up' : 'down';
  } catch {
    return 'down';
  }
}

// The gateway serves the supergraph composed ahead of time, so it starts and answers even
// when a subgraph is down; only the URLs come from the environment.
export async function startGateway(options: GatewayOptions): Promise<RunningServer> {
  const settings = options.settings ?? loadSettings();
  const userTokens = options.userTokens ?? userTokenSettings(settings);
  const authenticateUser = createUserAuthenticator(userTokens);
  // Demo users' tokens (Sandbox, the web console's sign-in) only with the development secret,
  // which is public anyway: a gateway run in development mode with a real secret must not hand
  // out admin tokens.
  const demoToken =
    !settings.production && 'secret' in userTokens && userTokens.secret === DEVELOPMENT_SECRETS.AUTH_JWT_SECRET
      ? (user: DemoUser) => mintDevelopmentToken(user, '12h', settings, userTokens)
      : undefined;
  const signer = new InternalIdentitySigner(secret(settings, 'INTERNAL_JWT_SECRET'), settings.auth.internalTokenTtlSeconds);
  const limits = operationLimits(settings.gateway, settings.production);
  const dataSources = new Map<string, ResilientDataSource>();
  // The subgraphs are those of the supergraph, known once the gateway has loaded it.
  const subgraphStatuses = remembered(options.readinessCacheMs ?? settings.gateway.readinessCacheMs, async () =>
    Object.fromEntries(await Promise.all([...dataSources].map(async ([name, dataSource]) => [name, await subgraphStatus(dataSource.url)] as const))),
  );
  const supergraphSdl = options.supergraphSdl ?? readFileSync(SUPERGRAPH_FILE, 'utf8');
  // Subscriptions are served here from the event stream: every replica follows all of it and
  // keeps the last window of events for clients that resume (docs/subscriptions.md).
  // A supergraph without subscription fields (another team's graph) needs no broker.
  const subscriptionRules = subscriptionAccess(supergraphSdl);
  const eventTransport = subscriptionRules.size ? await connectTransport(settings, 'gateway', options.eventBroker) : undefined;
  const recentEvents = eventTransport
    ? await RecentEvents.start(eventTransport, { windowMs: settings.subscriptions.replayWindowMs, maxEvents: settings.subscriptions.replayMaxEvents }).catch(async (error: unknown) => {
        await eventTransport.close();
        throw error;
      })
    : undefined;
  let apiSchema: GraphQLSchema | undefined;
  let hub: SubscriptionHub | undefined;
  let transports: SubscriptionTransports | undefined;
  const gateway = new ApolloGateway({
    supergraphSdl: withoutSecurityFeatures(supergraphSdl),
    // Each data source keeps its subgraph's connections alive and pooled (subgraph-fetcher.ts);
    // APQ sends a query's hash instead of its text once a subgraph has seen it.
    buildService: ({ name, url }) => {
      const resilience = options.resilience?.[name] ?? settings.resilience[name as SubgraphName] ?? settings.sharedResilience;
      const dataSource = new ResilientDataSource(name, options.subgraphUrls[name] ?? url!, resilience, signer);
      dataSources.set(name, dataSource);
      return new SerialMutations(dataSource);
    },
  });
  gateway.onSchemaLoadOrUpdate(({ apiSchema: schema }) => void (apiSchema = schema));
  return startGraphQLServer<CallerContext>({
    streaming: ({ httpServer, execute }) => {
      const readEntities = (query: string, variables: Record<string, unknown>, identity: Identity) => execute({ query, variables }, { identity, subscriptionFetch: true });
      // Runs once Apollo has started, so the gateway has loaded the supergraph.
      if (recentEvents) hub = new SubscriptionHub(apiSchema!, recentEvents, readEntities, settings.subscriptions);
      transports = serveSubscriptionTransports({
        httpServer,
        path: '/graphql',
        hub: () => hub,
        schema: () => apiSchema!,
        access: subscriptionRules,
        limits: { validationRules: limits.validationRules, maxTokens: limits.maxTokens, maxCost: settings.gateway.maxQueryCost, production: settings.production },
        authenticate: async (authorization) => ({ identity: await authenticateUser(authorization) }),
        runOperation: ({ query, operationName, variables, extensions }, session) =>
          execute({ query, operationName: operationName ?? undefined, variables: variables ?? undefined, extensions: extensions ?? undefined }, { identity: session.identity, clientAddress: session.clientAddress }),
        maxPayloadBytes: bytes.parse(settings.gateway.maxBodyBytes) ?? 1_048_576,
        maxPerConnection: settings.subscriptions.maxPerConnection,
        maxPerUser: settings.subscriptions.maxPerUser,
        maxBufferedBytes: settings.subscriptions.maxBufferedBytes,
      });
      return transports;
    },
    name: 'gateway',
    production: settings.production,
    port: options.port,
    host: options.host,
    gateway: withPlanningErrorsAsBadRequests(gateway),
    plugins: [
      ...limits.plugins,
      variableErrorFields(),
      settings.production
        ? ApolloServerPluginLandingPageDisabled()
        : // Sandbox opens signed in as the demo admin, so `npm start` users can query at once.
          ApolloServerPluginLandingPageLocalDefault({
            embed: {
              initialState: {
                pollForSchemaUpdates: false,
                ...(demoToken ? { sharedHeaders: { Authorization: `Bearer ${await demoToken('admin')}` } } : {}),
              },
            },
          }),
    ],
    routes: webConsoleRoutes({ dir: settings.gateway.webConsoleDir || undefined, demoToken }),
    validationRules: limits.validationRules,
    maxTokens: limits.maxTokens,
    metrics: createMetrics('gateway'),
    maxBodyBytes: settings.gateway.maxBodyBytes,
    cors: gatewayCors(settings.gateway.corsOrigins, !settings.production),
    authenticate: (req) => authenticateUser(req.get('authorization')),
    context: async (req, identity) => ({ identity, clientAddress: req.ip }),
    onStop: async () => {
      await recentEvents?.stop();
      await eventTransport?.close();
      await Promise.all([...dataSources.values()].map((dataSource) => dataSource.shutdown()));
    },
    // The gateway serves partial data while a subgraph is down, so it stays ready; the
    // dependencies tell operators which subgraph is failing and what its breaker does.
    readiness: async () => {
      const statuses = await subgraphStatuses();
      const dependencies = Object.fromEntries([...dataSources].map(([name, dataSource]) => [name, { status: statuses[name], breaker: dataSource.breakerState }]));
      return { ready: true, dependencies: { ...dependencies, events: { status: eventTransport?.status() ?? 'none', subscribers: hub?.size ?? 0, connections: transports?.connections() } } };
    },
  });
}

if (require.main === module) {
  runStandalone('gateway', (settings) => startGateway({ port: settings.ports.gateway, host: settings.host, subgraphUrls: settings.subgraphUrls, settings }));
}
