import http from 'node:http';
import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import { createClient as createSseClient, NetworkError } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { mintDevelopmentToken } from '../gateway/src/authentication';
import type { Caller } from './harness';

// The real graphql-ws and graphql-sse clients against the gateway, each subscription on a
// connection of its own, its results collected in the order they arrive.

export type SubscriptionResult<T = Record<string, any>> = FormattedExecutionResult<T, { eventId?: string } & Record<string, unknown>>;

export type SubscriptionRequest = { query: string; variables?: Record<string, unknown>; extensions?: Record<string, unknown> };

export type SubscribeOptions = SubscriptionRequest & {
  // The bearer token sent with the subscription; null sends none.
  token: string | null;
  // Resume after this event: the lastEventId connection parameter over WebSocket, the
  // Last-Event-ID header over SSE.
  lastEventId?: string;
  retryAttempts?: number;
};

export type Collector<T = Record<string, any>> = {
  readonly transport: 'ws' | 'sse';
  readonly results: SubscriptionResult<T>[];
  // Completed by the server or failed.
  readonly ended: boolean;
  // What the client's sink.error got: GraphQL errors, a close event, a NetworkError.
  readonly failure: unknown;
  // SSE: the status and body of a response that was not an event stream.
  readonly refusal: { status: number; body: unknown } | undefined;
  // WebSocket: how the socket closed (it may close after the subscription completed).
  readonly closed: { code: number; reason: string } | undefined;
  // The error codes of every result and of the failure, in order.
  errorCodes(): string[];
  // Bounded waits; each fails naming what it waited for and what it got instead.
  waitFor(count: number, what?: string): Promise<SubscriptionResult<T>[]>;
  // The index of the first result from `from` on that `matches`.
  waitForMatch(matches: (result: SubscriptionResult<T>) => boolean, what: string, options?: { from?: number; timeoutMs?: number }): Promise<number>;
  waitForEnd(what?: string): Promise<void>;
  waitForClose(what?: string): Promise<{ code: number; reason: string }>;
  dispose(): Promise<void>;
};

// Long enough for a federated fetch on a loaded CI machine; a wait only lasts this long when
// something is wrong.
export const DELIVERY_TIMEOUT_MS = 30_000;

export const tokenFor = async (as: Caller, expiresIn = '10m'): Promise<string | null> => (as === 'anonymous' ? null : mintDevelopmentToken(as, expiresIn));

export const webSocketUrl = (gatewayUrl: string) => gatewayUrl.replace(/^http/, 'ws');

const openCollectors = new Set<Collector<any>>();

// Closes every subscription the helpers opened that a test has not closed itself.
export async function disposeAllSubscriptions(): Promise<void> {
  await Promise.all([...openCollectors].map((collector) => collector.dispose()));
}

// How a subscription failed, in a line: a close event, GraphQL errors or a network error.
export function failureOf(collector: Collector<any>): string {
  const failure = collector.failure as { code?: number; reason?: string; message?: string } | undefined;
  if (failure === undefined) return 'none';
  if (Array.isArray(failure)) return `errors ${JSON.stringify(failure)}`;
  if (typeof failure.code === 'number') return `close ${failure.code} ${failure.reason}`;
  return `${failure.message ?? String(failure)}${collector.refusal ? ` ${JSON.stringify(collector.refusal)}` : ''}`;
}

const codesOf = (errors: readonly GraphQLFormattedError[] | undefined) => (errors ?? []).map((error) => String(error.extensions?.code ?? 'NO_CODE'));

type CollectorState<T> = {
  results: SubscriptionResult<T>[];
  ended: boolean;
  failure: unknown;
  refusal: { status: number; body: unknown } | undefined;
  closed: { code: number; reason: string } | undefined;
};

function collector<T>(transport: 'ws' | 'sse', label: string, dispose: () => Promise<void>): { state: CollectorState<T>; changed(): void; collector: Collector<T> } {
  const state: CollectorState<T> = { results: [], ended: false, failure: undefined, refusal: undefined, closed: undefined };
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const waiter of [...waiters]) waiter();
  };
  const errorCodes = () => {
    const failure = state.failure;
    const failureCodes = Array.isArray(failure)
      ? codesOf(failure as GraphQLFormattedError[])
      : codesOf((state.refusal?.body as { errors?: GraphQLFormattedError[] } | undefined)?.errors);
    return [...state.results.flatMap((result) => codesOf(result.errors)), ...failureCodes];
  };
  const describe = () =>
    `${state.results.length} result(s) ${JSON.stringify(state.results.slice(-3))}${state.ended ? `, ended (codes ${JSON.stringify(errorCodes())}, failure ${failureOf(self)})` : ''}${state.closed ? `, closed ${state.closed.code} ${state.closed.reason}` : ''}`;
  // Resolves when `done` says so; fails when `hopeless` does or the time is up.
  const until = <R>(done: () => R | undefined, hopeless: () => boolean, what: string, timeoutMs = DELIVERY_TIMEOUT_MS) =>
    new Promise<R>((resolve, reject) => {
      const check = () => {
        const value = done();
        if (value !== undefined) finish(() => resolve(value));
        else if (hopeless()) finish(() => reject(new Error(`${transport} subscription ${label}: gave up waiting for ${what}; got ${describe()}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`${transport} subscription ${label}: no ${what} within ${timeoutMs} ms; got ${describe()}`))), timeoutMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });
  const self: Collector<T> = {
    transport,
    get results() {
      return state.results;
    },
    get ended() {
      return state.ended;
    },
    get failure() {
      return state.failure;
    },
    get refusal() {
      return state.refusal;
    },
    get closed() {
      return state.closed;
    },
    errorCodes,
    waitFor: (count, what = `${count} result(s)`) =>
      until(() => (state.results.length >= count ? state.results.slice(0, count) : undefined), () => state.ended, what),
    waitForMatch: (matches, what, options = {}) =>
      until(
        () => {
          const index = state.results.findIndex((result, position) => position >= (options.from ?? 0) && matches(result));
          return index >= 0 ? index : undefined;
        },
        () => state.ended,
        what,
        options.timeoutMs,
      ),
    waitForEnd: (what = 'the end of the subscription') => until(() => (state.ended ? true : undefined), () => false, what).then(() => {}),
    waitForClose: (what = 'the socket to close') => until(() => state.closed, () => false, what),
    async dispose() {
      openCollectors.delete(self);
      await dispose();
    },
  };
  openCollectors.add(self);
  return { state, changed, collector: self };
}

// graphql-ws over the ws package; connectionParams carry the token and the event to resume after.
export function subscribeWs<T = Record<string, any>>(gatewayUrl: string, options: SubscribeOptions): Collector<T> {
  let socket: WebSocket | undefined;
  const client = createWsClient({
    url: webSocketUrl(gatewayUrl),
    webSocketImpl: WebSocket,
    retryAttempts: options.retryAttempts ?? 0,
    connectionParams: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.lastEventId ? { lastEventId: options.lastEventId } : {}),
    },
    on: {
      opened: (opened) => void (socket = opened as WebSocket),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string | Buffer };
        made.state.closed = { code, reason: String(reason) };
        made.changed();
      },
    },
  });
  const made = collector<T>('ws', firstLine(options.query), async () => {
    unsubscribe();
    await client.dispose();
    // The socket is closed once its close handshake is done, so no handle outlives the test.
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          socket!.terminate();
          resolve();
        }, 5_000);
        socket!.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        if (socket!.readyState === WebSocket.OPEN) socket!.close(1000, 'Normal Closure');
      });
    }
  });
  const unsubscribe = client.subscribe<T, SubscriptionResult<T>['extensions']>(
    { query: options.query, variables: options.variables, extensions: options.extensions },
    {
      next: (result) => {
        made.state.results.push(result as SubscriptionResult<T>);
        made.changed();
      },
      error: (error) => {
        made.state.failure = error;
        made.state.ended = true;
        made.changed();
      },
      complete: () => {
        made.state.ended = true;
        made.changed();
      },
    },
  );
  return made.collector;
}

// graphql-sse in distinct connections mode: one POST with Accept: text/event-stream each.
export function subscribeSse<T = Record<string, any>>(gatewayUrl: string, options: SubscribeOptions): Collector<T> {
  const client = createSseClient({
    url: gatewayUrl,
    singleConnection: false,
    retryAttempts: options.retryAttempts ?? 0,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.lastEventId ? { 'last-event-id': options.lastEventId } : {}),
    },
  });
  const made = collector<T>('sse', firstLine(options.query), async () => {
    unsubscribe();
    client.dispose();
  });
  const unsubscribe = client.subscribe<T, SubscriptionResult<T>['extensions']>(
    { query: options.query, variables: options.variables, extensions: options.extensions },
    {
      next: (result) => {
        made.state.results.push(result as SubscriptionResult<T>);
        made.changed();
      },
      error: async (error) => {
        // A refusal answered as JSON instead of a stream: its errors are the answer.
        const response = error instanceof NetworkError ? (error.response as Response | undefined) : undefined;
        if (response) made.state.refusal = { status: response.status, body: await response.json().catch(() => null) };
        made.state.failure = error;
        made.state.ended = true;
        made.changed();
      },
      complete: () => {
        made.state.ended = true;
        made.changed();
      },
    },
  );
  return made.collector;
}

// The payload of a result: the value of its one root field.
export const payloadOf = (result: SubscriptionResult): Record<string, any> | null | undefined => (result.data ? Object.values(result.data)[0] : undefined);

// Makes an event happen and says which result is the one it caused.
export type Marker = () => Promise<(result: SubscriptionResult) => boolean>;

// The gateway registers a subscription after the client sent it, with no message to say so, and
// an event published before then is not the subscriber's. A marker event is repeated until every
// collector has received the same one; each collector's results from the returned index on are
// then every event after that marker (a marker that was late arrives before the next one).
export async function untilLive(collectors: Collector<any>[], mark: Marker, attempts = 5): Promise<number[]> {
  for (let attempt = 1; ; attempt++) {
    const from = collectors.map((collector) => collector.results.length);
    const matches = await mark();
    const last = attempt === attempts;
    const seen = await Promise.all(
      collectors.map((collector, index) =>
        collector.waitForMatch(matches, 'a marker event', { from: from[index], timeoutMs: last ? DELIVERY_TIMEOUT_MS : 5_000 }).then(
          (position) => position + 1,
          (error: Error) => (last || collector.ended ? Promise.reject(error) : undefined),
        ),
      ),
    );
    if (seen.every((position) => position !== undefined)) return seen as number[];
  }
}

// untilLive for the hand-made clients, which keep no results: repeats a marker event until
// `read()` has grown by `perMarker` (one per subscription that must have received it).
export async function untilRead(read: () => number, mark: () => Promise<unknown>, perMarker = 1, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const before = read();
    await mark();
    const deadline = Date.now() + (attempt === attempts ? DELIVERY_TIMEOUT_MS : 5_000);
    while (read() < before + perMarker && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    if (read() >= before + perMarker) return;
    if (attempt === attempts) throw new Error(`read ${read() - before} of the ${perMarker} results a marker event should have caused`);
  }
}

export type Transport = 'ws' | 'sse';

export const subscribe = <T = Record<string, any>>(transport: Transport, gatewayUrl: string, options: SubscribeOptions) =>
  transport === 'ws' ? subscribeWs<T>(gatewayUrl, options) : subscribeSse<T>(gatewayUrl, options);

const firstLine = (query: string) => query.trim().split('\n')[0].slice(0, 80);

// A graphql-ws client spoken by hand over a ws socket whose reading a test can stop, as a
// client on a congested network or a frozen tab would.
export type RawWsSubscriber = {
  // `next` messages read so far.
  readonly received: number;
  subscribe(id: string, request: SubscriptionRequest): void;
  // Stops (and restarts) reading from the underlying TCP socket.
  pause(): void;
  resume(): void;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
};

export async function rawWsSubscriber(gatewayUrl: string, token: string): Promise<RawWsSubscriber> {
  const socket = new WebSocket(webSocketUrl(gatewayUrl), 'graphql-transport-ws');
  let received = 0;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  // A socket that fails also closes, and the close says how.
  socket.on('error', () => {});
  let acknowledge = () => {};
  const acknowledged = new Promise<void>((resolve) => (acknowledge = resolve));
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { type: string };
    if (message.type === 'connection_ack') acknowledge();
    else if (message.type === 'next') received++;
    else if (message.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
  });
  socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
  await Promise.race([
    acknowledged,
    closed.then(({ code, reason }) => Promise.reject(new Error(`the socket closed before connection_ack: ${code} ${reason}`))),
  ]);
  return {
    get received() {
      return received;
    },
    subscribe: (id, request) => socket.send(JSON.stringify({ id, type: 'subscribe', payload: request })),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    closed,
    async close() {
      socket.resume();
      if (socket.readyState === WebSocket.OPEN) socket.close(1000, 'Normal Closure');
      const timer = setTimeout(() => socket.terminate(), 5_000);
      await closed;
      clearTimeout(timer);
    },
  };
}

// A graphql-sse request made by hand over node:http, so that a test can stop reading its response
// and see the stream's own lines.
export type SseMessage = { event?: string; id?: string; data?: string };

export type RawSseSubscriber = {
  // The messages read so far (keep-alive comments left out).
  readonly messages: SseMessage[];
  readonly received: number;
  readonly completed: boolean;
  pause(): void;
  resume(): void;
  // Resolves when the response is over, however it ended.
  ended: Promise<void>;
  close(): void;
};

export function rawSseSubscriber(gatewayUrl: string, token: string, request: SubscriptionRequest): Promise<RawSseSubscriber> {
  const body = JSON.stringify(request);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      gatewayUrl,
      { method: 'POST', headers: { accept: 'text/event-stream', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` } },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          return reject(new Error(`the SSE request was answered ${response.statusCode}`));
        }
        const messages: SseMessage[] = [];
        let message: SseMessage = {};
        let partial = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          const lines = (partial + chunk).split('\n');
          partial = lines.pop()!;
          for (const line of lines) {
            if (line === '') {
              if (Object.keys(message).length) messages.push(message);
              message = {};
            } else if (!line.startsWith(':')) {
              const [field, ...value] = line.split(': ');
              message[field as keyof SseMessage] = value.join(': ');
            }
          }
        });
        // A response cut short errors ('aborted'); either way it closes.
        response.on('error', () => {});
        const ended = new Promise<void>((done) => response.once('close', () => done()));
        resolve({
          messages,
          get received() {
            return messages.filter((read) => read.event === 'next').length;
          },
          get completed() {
            return messages.some((read) => read.event === 'complete');
          },
          pause: () => response.pause(),
          resume: () => response.resume(),
          ended,
          close: () => outgoing.destroy(),
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
