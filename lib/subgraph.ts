import { readFileSync } from 'node:fs';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type GraphQLFieldResolver, type GraphQLResolveInfo, type GraphQLScalarType, type GraphQLSchema, type GraphQLUnionType } from 'graphql';
import { IDENTITY_HEADER, InternalIdentitySigner, verifyInternalIdentity, type Identity } from './auth';
import { enforceAuthorization } from './authorization';
import { connectDatabase, databaseStatus, type DatabaseClient } from './db';
import { startGraphQLServer, type RunningServer } from './http-server';
import { representationLimit } from './input-limits';
import type { PrismaPg } from '@prisma/adapter-pg';
import { loadSettings, secret, type SubgraphName, type SubgraphOptions } from './config';
import { connectPeers, type PeerService } from './entity-client';
import { createMetrics } from './metrics';
import { stopMutationsAfterFailure } from './serial-mutations';
import type { ConsumerDefinition } from './events/consumer';
import type { EventDatabase } from './events/relay';
import { startEvents, type EventRuntime } from './events/runtime';

// allows(coordinate): whether this request's caller may read that field (see authorization.ts).
export type SubgraphContext<C, P, L> = { prisma: C; loaders: L; peers: P; identity: Identity; allows: (coordinate: string) => boolean };

// Any subgraph's generated Resolvers type (generated/graphql.ts, which checks fields, arguments
// and parents against the SDL) whose resolvers take the context startSubgraph gives them.
type ResolverMap<Context> = {
  [typeName: string]:
    | GraphQLScalarType
    | { [fieldName: string]: GraphQLFieldResolver<never, Context, never> | ((reference: never, context: Context, info: GraphQLResolveInfo) => unknown) }
    | undefined;
};

// What buildSubgraphSchema takes: @apollo/subgraph exports no name for it, and its type allows
// neither a context other than unknown nor __resolveReference's signature.
type SubgraphSchemaResolvers = NonNullable<Extract<Parameters<typeof buildSubgraphSchema>[0], { typeDefs: unknown }>['resolvers']>;

type SubgraphDefinition<C extends DatabaseClient, P, L> = {
  name: SubgraphName;
  schemaFile: string;
  resolvers: ResolverMap<SubgraphContext<C, P, L>>;
  Client: new (options: { adapter: PrismaPg }) => C;
  createLoaders: (prisma: C) => L;
  // The read models this subgraph keeps from other services' events.
  consumers?: readonly ConsumerDefinition<never>[];
};

export type RunningSubgraph = RunningServer & { events: EventRuntime };

// Every subgraph starts the same way: its schema from its .graphql file with the access rules
// it declares enforced, its own database, only requests signed by the gateway (or a peer),
// and a fresh set of DataLoaders for every request.
export async function startSubgraph<C extends DatabaseClient, P extends Record<string, PeerService>, L>(
  definition: SubgraphDefinition<C, P, L>,
  options: SubgraphOptions<P>,
): Promise<RunningSubgraph> {
  const typeDefs = parse(readFileSync(definition.schemaFile, 'utf8'));
  const schema = buildSubgraphSchema({ typeDefs, resolvers: definition.resolvers as SubgraphSchemaResolvers });
  const mayRead = enforceAuthorization(schema);
  // After the authorization guards, so a refused field also stops the ones after it.
  stopMutationsAfterFailure(schema);
  const settings = options.settings ?? loadSettings();
  const internalSecret = secret(settings, 'INTERNAL_JWT_SECRET');
  const internalKey = new TextEncoder().encode(internalSecret);
  const signer = new InternalIdentitySigner(internalSecret, settings.auth.internalTokenTtlSeconds);
  const disconnectPeers = connectPeers(Object.values(options.peers), settings);
  const metrics = createMetrics(definition.name);
  const database = connectDatabase(definition.Client, options.databaseUrl, settings.database, () => metrics.sqlStatements.inc());
  const prisma = database.prisma;
  // Uncounted, so the relay's and consumers' statements stay out of the per-request SQL counts.
  const eventDatabase = connectDatabase(definition.Client, options.databaseUrl, { ...settings.database, poolSize: 4 });
  let events: EventRuntime;
  try {
    events = await startEvents({
      service: definition.name,
      settings,
      db: eventDatabase.prisma as unknown as EventDatabase,
      databaseUrl: options.databaseUrl,
      consumers: definition.consumers ?? [],
      registry: metrics.registry,
      broker: options.eventBroker,
    });
  } catch (error) {
    disconnectPeers();
    await Promise.all([database.close(), eventDatabase.close()]);
    throw error;
  }
  const server = await startGraphQLServer<SubgraphContext<C, P, L>>({
    name: definition.name,
    production: settings.production,
    port: options.port,
    host: options.host,
    schema,
    // Traces are for Apollo's hosted Studio, which this platform does not report to.
    plugins: [ApolloServerPluginInlineTraceDisabled(), representationLimit()],
    authenticate: (req) => verifyInternalIdentity(req.get(IDENTITY_HEADER), internalKey),
    context: async (_req, identity) => ({
      prisma,
      loaders: definition.createLoaders(prisma),
      peers: options.peers,
      identity,
      allows: (coordinate: string) => mayRead(identity, coordinate),
    }),
    readiness: async () => {
      const database = await databaseStatus(prisma);
      // Writes go to the outbox while the broker is away, so it does not make the service unready.
      return { ready: database === 'up', dependencies: { database, broker: events.status() } };
    },
    metrics,
    maxBodyBytes: settings.subgraph.maxBodyBytes,
    followsCallerDeadline: true,
    warmUp: (url) => warmUp(url, schema, signer, definition.name),
    onStop: async () => {
      disconnectPeers();
      await events.stop();
      await Promise.all([database.close(), eventDatabase.close()]);
    },
  }).catch(async (error: unknown) => {
    disconnectPeers();
    await events.stop();
    await Promise.all([database.close(), eventDatabase.close()]);
    throw error;
  });
  return { ...server, events };
}

const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

// The first request to a new process pays for loading code paths, Prisma's query compiler and
// the first database connections (1.4–4.5 s measured). One entity lookup per entity type, sent
// over HTTP as a peer would, pays that before the subgraph reports ready.
async function warmUp(url: string, schema: GraphQLSchema, signer: InternalIdentitySigner, name: string): Promise<void> {
  const entityTypes = (schema.getType('_Entity') as GraphQLUnionType | undefined)?.getTypes() ?? [];
  const identity = await signer.sign({ kind: 'service', service: name });
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: identity },
    body: JSON.stringify({
      query: 'query WarmUp($representations: [_Any!]!) { _entities(representations: $representations) { __typename } }',
      variables: { representations: entityTypes.map((type) => ({ __typename: type.name, id: NO_SUCH_ID })) },
    }),
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) throw new Error(`warm-up answered ${response.status}`);
}
