import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type express from 'express';
import { getOperationAST, GraphQLError, type ExecutionArgs, type ExecutionResult, type FormattedExecutionResult, type GraphQLSchema } from 'graphql';
import { createHandler } from 'graphql-sse';
import { CloseCode, type SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { AuthenticationError, type Identity } from '../../../lib/auth';
import { logger } from '../../../lib/logger';
import { expiryOf, type DropReason, type Session, type SubscriptionHub } from './hub';
import { prepareOperation, type FieldAccess, type OperationLimits, type OperationRequest, type PreparedSubscription } from './operation';

// Runs a query or mutation sent over a subscription transport through the gateway's HTTP
// pipeline (plugins, limits, planning), as the given identity.
export type OperationRunner = (request: OperationRequest, session: Session) => Promise<FormattedExecutionResult>;

export type SubscriptionTransportOptions = {
  httpServer: http.Server;
  path: string;
  // None when the supergraph has no subscription fields.
  hub: () => SubscriptionHub | undefined;
  schema: () => GraphQLSchema;
  access: ReadonlyMap<string, FieldAccess>;
  limits: OperationLimits;
  authenticate: (authorization: string | undefined) => Promise<Session>;
  runOperation: OperationRunner;
  maxPayloadBytes: number;
  maxPerConnection: number;
  maxPerUser: number;
  maxBufferedBytes: number;
};

export type SubscriptionTransports = {
  // Serves GraphQL over SSE for requests that accept text/event-stream; passes others on.
  handler: express.RequestHandler;
  connections(): { webSocket: number; sse: number };
  close(): Promise<void>;
};

// Close codes the graphql-ws client retries (4008), or does not (4401: get a new token first).
const TOO_SLOW = 4008;
const GOING_AWAY = 1001;
// How long after connecting the connection's lastEventId applies to new subscriptions.
const RESUBSCRIBE_MS = 5_000;
// Distinct subscription documents (with their variables and roles) kept parsed and checked.
const PREPARED_CACHE_SIZE = 1_000;
// How long a closing client may take to answer the close handshake before it is cut off.
const CLOSE_WAIT_MS = 1_000;
// A close frame's reason must fit in 123 bytes.
const closeReason = (text: string) => Buffer.from(text).subarray(0, 123).toString();

function replayUnavailable(lastEventId: string): GraphQLError {
  return new GraphQLError(`Event ${lastEventId} is not among the events this gateway keeps for resuming (the window is SUBSCRIPTION_REPLAY_WINDOW_MS): query the current state, then subscribe without a last event id`, {
    extensions: { code: 'EVENT_REPLAY_UNAVAILABLE', field: 'lastEventId' },
  });
}

const MAX_EVENT_ID_LENGTH = 200;
function eventIdFrom(...candidates: unknown[]): string | undefined {
  const found = candidates.find((value) => typeof value === 'string' && value.length > 0);
  return typeof found === 'string' ? found.slice(0, MAX_EVENT_ID_LENGTH) : undefined;
}

// What each operation carries from onSubscribe to execution.
type OperationContext = {
  session: Session;
  request: OperationRequest;
  prepared?: PreparedSubscription;
  lastEventId?: string;
  // Called when lastEventId is past the replay window, for a connection to stop resuming from it.
  onReplayUnavailable?: () => void;
  onDrop: (reason: DropReason) => void;
  backedUp: () => boolean;
};

// GraphQL over WebSocket (graphql-ws) and over Server-Sent Events (graphql-sse, distinct
// connections mode) on the gateway's port and path: subscriptions from the hub, queries and
// mutations through the gateway's usual pipeline.
export function serveSubscriptionTransports(options: SubscriptionTransportOptions): SubscriptionTransports {
  const { hub, access, limits } = options;
  // Clients of one screen send the same document: its parsed, checked form is made once and
  // shared, which is most of what an idle subscriber would otherwise hold.
  const prepared = new Map<string, ReturnType<typeof prepareOperation>>();
  const prepare = (request: OperationRequest, identity: Identity) => {
    const key = JSON.stringify([identity.kind === 'user' ? [...identity.roles].sort() : identity.kind, request.query, request.operationName ?? null, request.variables ?? null]);
    const known = prepared.get(key);
    if (known) return known;
    const result = prepareOperation(request, identity, { schema: options.schema(), access, limits });
    if (result.kind === 'subscription') {
      if (prepared.size >= PREPARED_CACHE_SIZE) prepared.delete(prepared.keys().next().value!);
      prepared.set(key, result);
    }
    return result;
  };

  // Subscriptions start from the hub; a resuming one may find its last event gone.
  const start = (context: OperationContext): AsyncIterableIterator<FormattedExecutionResult> | GraphQLError => {
    const subscriber = hub()!.subscribe(context.prepared!, context.session, context.lastEventId, context.onDrop, context.backedUp);
    if (subscriber === 'replay-unavailable') {
      context.onReplayUnavailable?.();
      return replayUnavailable(context.lastEventId!);
    }
    if (subscriber === 'too-many') {
      return new GraphQLError(`You have ${options.maxPerUser} subscriptions open on this gateway, the most one user may: end one before starting another`, { extensions: { code: 'RATE_LIMITED' } });
    }
    return subscriber;
  };

  // --- WebSocket -------------------------------------------------------------------------
  const webSockets = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
  const upgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(request.url ?? '/', 'http://gateway').pathname !== options.path) return void socket.destroy();
    webSockets.handleUpgrade(request, socket, head, (webSocket) => webSockets.emit('connection', webSocket, request));
  };
  options.httpServer.on('upgrade', upgrade);
  // refusedResumes: the operations (document and variables) refused EVENT_REPLAY_UNAVAILABLE
  // for the connection's lastEventId, which start from now when sent again.
  type Extra = { session?: Session; lastEventId?: string; refusedResumes?: Set<string>; connectedAt: number; operations: number; expired?: boolean };
  const extraOf = (ctx: { extra: unknown }) => ctx.extra as Extra & { socket: WebSocket; request: http.IncomingMessage };
  const disposeWebSockets = useServer(
    {
      onConnect: async (ctx) => {
        const params = (ctx.connectionParams ?? {}) as Record<string, unknown>;
        const authorization = params.authorization ?? params.Authorization;
        const extra = extraOf(ctx);
        extra.operations = 0;
        // Every subscription field needs a signed-in user, so a connection without one is refused
        // (4403) instead of being held open for nothing.
        if (typeof authorization !== 'string') return false;
        try {
          extra.session = await options.authenticate(authorization);
        } catch (error) {
          if (error instanceof AuthenticationError) return false;
          throw error;
        }
        extra.session.clientAddress = extra.request.socket.remoteAddress;
        extra.lastEventId = eventIdFrom(params.lastEventId);
        extra.connectedAt = Date.now();
        return true;
      },
      onSubscribe: async (ctx, _id, payload: SubscribePayload) => {
        const extra = extraOf(ctx);
        const session = extra.session!;
        const expiresAt = expiryOf(session);
        if (expiresAt !== null && expiresAt <= Date.now()) {
          extra.socket.close(CloseCode.Unauthorized, 'The token has expired');
          return [new GraphQLError('The token has expired', { extensions: { code: 'UNAUTHENTICATED' } })];
        }
        if (extra.operations >= options.maxPerConnection) {
          return [new GraphQLError(`A connection may hold at most ${options.maxPerConnection} operations at once`, { extensions: { code: 'RATE_LIMITED' } })];
        }
        const prepared = prepare(payload, session.identity);
        if (prepared.kind === 'refused') return prepared.errors;
        const onDrop = (reason: DropReason) => {
          if (reason.code === 'SUBSCRIBER_TOO_SLOW') extra.socket.close(TOO_SLOW, closeReason(reason.message));
          else if (reason.code === 'UNAUTHENTICATED') extra.expired = true;
          else extra.socket.close(GOING_AWAY, closeReason(reason.message));
        };
        // The connection's lastEventId is for the subscriptions a reconnecting client sends
        // again at once, not for those a screen opens later on the same connection. Each of
        // them is told when that id is gone, and the one told starts from now when sent again;
        // the others are still told.
        const operation = JSON.stringify([payload.query, payload.variables ?? null]);
        const ownId = eventIdFrom(payload.extensions?.lastEventId);
        const connectionId = Date.now() - extra.connectedAt <= RESUBSCRIBE_MS && !extra.refusedResumes?.has(operation) ? extra.lastEventId : undefined;
        const context: OperationContext = {
          session,
          request: payload,
          prepared: prepared.kind === 'subscription' ? prepared : undefined,
          lastEventId: ownId ?? connectionId,
          onReplayUnavailable: ownId ? undefined : () => void (extra.refusedResumes ??= new Set()).add(operation),
          onDrop,
          // Data left in the socket's own buffer: the operating system's is full.
          backedUp: () => extra.socket.bufferedAmount > 0,
        };
        extra.operations++;
        return { schema: options.schema(), document: prepared.document, operationName: payload.operationName ?? undefined, variableValues: payload.variables ?? undefined, contextValue: context } satisfies ExecutionArgs;
      },
      // The libraries' types expect graphql-js results; formatted ones serialise the same.
      subscribe: (args) => {
        const result = start(args.contextValue as OperationContext);
        return (result instanceof GraphQLError ? { errors: [result] } : result) as unknown as ExecutionResult;
      },
      execute: (args) => {
        const context = args.contextValue as OperationContext;
        return options.runOperation(context.request, context.session) as unknown as Promise<ExecutionResult>;
      },
      // Results are formatted already (by the gateway, or by the hub from its answers).
      onNext: (_ctx, _id, _payload, _args, result) => result as FormattedExecutionResult,
      onComplete: (ctx) => {
        const extra = extraOf(ctx);
        extra.operations--;
        // The last results of an expired token's subscriptions have been sent: the client needs
        // a new token. graphql-ws sends the Complete message after this callback returns.
        if (extra.expired && extra.operations === 0) setImmediate(() => extra.socket.close(CloseCode.Unauthorized, 'The token has expired'));
      },
    },
    webSockets,
  );

  // --- Server-Sent Events ------------------------------------------------------------------
  const streams = new Set<http.ServerResponse>();
  const sseHandler = createHandler<express.Request, { session: Session; lastEventId?: string }>({
    // No reservation tokens: every operation has its own stream (distinct connections mode),
    // which any replica can serve and which resumes with Last-Event-ID.
    authenticate: () => undefined,
    onSubscribe: async (req, params): Promise<ExecutionResult | AsyncIterable<ExecutionResult>> => {
      const { session, lastEventId } = req.context;
      const prepared = prepare(params, session.identity);
      // Refusals travel in the stream (200, one result, complete) as graphql-sse does for invalid
      // documents: its client retries any other status as if the network had failed.
      if (prepared.kind === 'refused') return { data: null, errors: prepared.errors };
      if (prepared.kind === 'operation') {
        if (req.method === 'GET' && getOperationAST(prepared.document, params.operationName)?.operation === 'mutation') {
          return { data: null, errors: [new GraphQLError('Mutations are sent with POST', { extensions: { code: 'BAD_REQUEST' } })] };
        }
        return (await options.runOperation(params, session)) as unknown as ExecutionResult;
      }
      const response = req.raw.res!;
      const subscribed = start({
        session,
        request: params,
        prepared,
        lastEventId: eventIdFrom(params.extensions?.lastEventId, lastEventId),
        onDrop: (reason) => {
          if (reason.code === 'SUBSCRIBER_TOO_SLOW') response.destroy();
        },
        backedUp: () => response.writableLength > 0,
      });
      return subscribed instanceof GraphQLError ? { data: null, errors: [subscribed] } : (subscribed as unknown as AsyncIterable<ExecutionResult>);
    },
  });
  const sse: express.RequestHandler = (req, res, next) => {
    if (!req.accepts('text/event-stream') || req.get('accept')?.includes('text/event-stream') !== true) return next();
    const identity = res.locals.identity as Identity;
    const session: Session = { identity, clientAddress: req.ip };
    void serveStream(req, res, session).catch((error: unknown) => {
      logger.warn({ err: error }, 'an SSE subscription stream failed');
      if (!res.headersSent) next(error);
      else res.destroy();
    });
  };
  const serveStream = async (req: express.Request, res: express.Response, session: Session) => {
    const [body, init] = await sseHandler({
      method: req.method,
      url: req.originalUrl,
      headers: { get: (key) => (key.toLowerCase() === 'accept' ? 'text/event-stream' : req.get(key)) },
      body: req.body ?? null,
      raw: req,
      context: { session, lastEventId: eventIdFrom(req.get('last-event-id')) },
    });
    res.writeHead(init.status, init.statusText, { ...init.headers, ...(typeof body !== 'string' && body ? { 'x-accel-buffering': 'no', 'cache-control': 'no-cache' } : {}) });
    if (!body || typeof body === 'string') return void res.end(body ?? undefined);
    streams.add(res);
    res.once('close', () => {
      streams.delete(res);
      void body.return(undefined);
    });
    for await (const chunk of body) {
      if (res.writableEnded || res.destroyed) break;
      // Each result starts with its extensions, so its event id can be given to the
      // browser's own resume mechanism (Last-Event-ID) without parsing the whole message.
      const eventId = chunk.startsWith('event: next') ? /^event: next\ndata: \{"extensions":\{"eventId":"([^"\\]+)"/.exec(chunk)?.[1] : undefined;
      res.write(eventId ? `id: ${eventId}\n${chunk}` : chunk);
      if (res.writableLength > options.maxBufferedBytes) {
        logger.info({ buffered: res.writableLength }, 'dropping an SSE subscriber that does not read');
        res.destroy();
        break;
      }
    }
    if (!res.destroyed) res.end();
  };

  return {
    handler: sse,
    connections: () => ({ webSocket: webSockets.clients.size, sse: streams.size }),
    async close() {
      options.httpServer.off('upgrade', upgrade);
      // Subscriptions end first, so each client is told why before its connection closes.
      hub()?.close();
      for (const client of webSockets.clients) client.close(GOING_AWAY, 'The gateway is restarting: reconnect and resume from your last event id');
      for (const stream of streams) stream.end();
      if (webSockets.clients.size || streams.size) await new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref());
      for (const client of webSockets.clients) client.terminate();
      for (const stream of streams) stream.destroy();
      await disposeWebSockets.dispose();
      await new Promise<void>((resolve) => webSockets.close(() => resolve()));
    },
  };
}
