import { executeSync, GraphQLError, type FormattedExecutionResult, type GraphQLFieldResolver, type GraphQLFormattedError, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import type { Identity } from '../../../lib/auth';
import type { Settings } from '../../../lib/config';
import type { EventEnvelope } from '../../../lib/events/envelope';
import type { FeedEntry, RecentEvents } from '../../../lib/events/recent-events';
import { logger } from '../../../lib/logger';
import { readableEvent, SUBSCRIPTION_FIELDS, type EventPayload } from './fields';
import type { EntityFetch, PreparedSubscription } from './operation';

// The signed-in user a subscription runs as (their identity says when their token expires).
export type Session = { identity: Identity; clientAddress?: string };

// When the session's token stops being valid (ms since the epoch), or null when it does not say.
export const expiryOf = ({ identity }: Session): number | null => (identity.kind === 'user' ? (identity.expiresAt ?? null) : null);

// Reads a subscriber's entities through the gateway's own query pipeline (planning, subgraph
// calls, fallbacks), as the given identity.
export type EntityReader = (query: string, variables: Record<string, unknown>, identity: Identity) => Promise<FormattedExecutionResult>;

// Why a subscriber was let go; the transport tells its client (a close code, the stream's end).
export type DropReason = { code: 'SUBSCRIBER_TOO_SLOW' | 'UNAUTHENTICATED' | 'SHUTTING_DOWN'; message: string };

// A result to send: a live event's is being fetched already (shared with the subscription's
// peers); a replayed one is fetched when the client gets near it.
type Item = { started?: Promise<FormattedExecutionResult>; start?: () => Promise<FormattedExecutionResult>; replay: boolean };

// Results are fetched a few events ahead of what a resuming client has been sent.
const REPLAY_LOOKAHEAD = 8;
// A subscriber is dropped with this many times SUBSCRIPTION_MAX_QUEUED_EVENTS waiting, even
// when its connection is not the reason.
const OVERLOAD_FACTOR = 10;
// How long a replayed event's fetch is shared with other subscribers resuming past it.
const REPLAY_SHARING_MS = 10_000;

// One client's subscription: an async iterator of results in event order. Live events arrive
// already being fetched (shared with the subscription's peers); missed events being replayed are
// fetched as the client takes them, so a long gap does not fill memory.
export class Subscriber implements AsyncIterableIterator<FormattedExecutionResult> {
  // queue[head..] is waiting; taken items before head are cut off now and then.
  private queue: Item[] = [];
  private head = 0;
  private liveWaiting = 0;
  private replayWaiting = 0;
  private wake: (() => void) | null = null;
  private finished = false;
  private expiry: NodeJS.Timeout | undefined;
  // The newest feed position this subscriber has been given (live events after it are its own).
  position = 0;

  constructor(
    readonly prepared: PreparedSubscription,
    readonly session: Session,
    private readonly hub: SubscriptionHub,
    private readonly onDrop: (reason: DropReason) => void,
    // Whether the client's connection holds data it has not taken: results waiting here count
    // against the limit only then, so a burst of events (a broker catching up) drops no one
    // who is reading.
    private readonly backedUp: () => boolean,
  ) {
    const expiresAt = expiryOf(session);
    if (expiresAt !== null) {
      const expired = () => this.finish({ errors: [{ message: 'The token has expired: subscribe again with a new one', extensions: { code: 'UNAUTHENTICATED' } }] }, { code: 'UNAUTHENTICATED', message: 'The token has expired' });
      const left = expiresAt - Date.now();
      // setTimeout cannot wait longer than 2^31 - 1 ms; a token valid for longer is re-checked then.
      const arm = (ms: number) => (this.expiry = setTimeout(() => (Date.now() >= expiresAt ? expired() : arm(expiresAt - Date.now())), Math.min(ms, 2_147_483_647)));
      if (left <= 0) expired();
      else arm(left);
      this.expiry?.unref();
    }
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  get active(): boolean {
    return !this.finished;
  }

  replayed(start: () => Promise<FormattedExecutionResult>): void {
    this.queue.push({ start, replay: true });
    this.replayWaiting++;
  }

  // Called for every subscriber of every event, so it allocates as little as it can.
  delivered(result: Promise<FormattedExecutionResult>): void {
    if (this.finished) return;
    // While missed events are still being fetched, waiting is the gateway's doing, not the
    // client's; a gateway that has fallen far behind sheds subscribers rather than memory.
    const waiting = this.liveWaiting;
    if (waiting >= this.hub.maxQueuedEvents && this.replayWaiting === 0 && (waiting >= this.hub.maxQueuedEvents * OVERLOAD_FACTOR || this.backedUp())) {
      return this.drop({ code: 'SUBSCRIBER_TOO_SLOW', message: `Subscriber too slow: more than ${this.hub.maxQueuedEvents} events waiting to be sent` });
    }
    this.queue.push({ started: result, replay: false });
    this.liveWaiting++;
    this.wake?.();
  }

  async next(): Promise<IteratorResult<FormattedExecutionResult>> {
    for (;;) {
      if (this.head < this.queue.length) {
        const item = this.queue[this.head++];
        if (item.replay) this.replayWaiting--;
        else this.liveWaiting--;
        for (let ahead = this.head; ahead < Math.min(this.queue.length, this.head + REPLAY_LOOKAHEAD); ahead++) this.queue[ahead].started ??= this.queue[ahead].start!();
        if (this.head >= 1_024 && this.head * 2 >= this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        return { value: await (item.started ?? item.start!()), done: false };
      }
      if (this.finished) return { value: undefined, done: true };
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  async return(): Promise<IteratorResult<FormattedExecutionResult>> {
    this.close();
    return { value: undefined, done: true };
  }

  // graphql-sse ends an operation through return() only when the iterator also has throw().
  async throw(): Promise<IteratorResult<FormattedExecutionResult>> {
    return this.return();
  }

  // Sends what is already waiting, then this last result, then ends.
  finish(last: FormattedExecutionResult, reason: DropReason): void {
    if (this.finished) return;
    this.queue.push({ started: Promise.resolve(last), replay: false });
    this.close();
    this.onDrop(reason);
  }

  drop(reason: DropReason): void {
    if (this.finished) return;
    this.queue = [];
    this.head = 0;
    this.close();
    this.onDrop(reason);
  }

  private close(): void {
    this.finished = true;
    clearTimeout(this.expiry);
    this.hub.remove(this);
    this.wake?.();
  }
}

const userOf = (identity: Identity) => (identity.kind === 'user' ? identity.userId : identity.kind);

// At most `limit` fetches at once; the rest wait in order.
function limiter(limit: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await work();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

const unavailable = (error: unknown): FormattedExecutionResult => {
  logger.warn({ err: error }, 'a subscription fetch failed');
  return { errors: [{ message: 'The gateway could not read this event\'s data; later events are not affected', extensions: { code: 'SUBGRAPH_UNAVAILABLE' } }] };
};

// Every subscriber of this gateway, fed from the broker through the window of recent events.
// For each event, subscribers with the same selection, variables and roles share one federated
// fetch, and those with the same document the same result.
export class SubscriptionHub {
  // Subscription field → result key → subscribers: those of one group get the same result.
  private readonly subscribers = new Map<string, Map<string, Set<Subscriber>>>();
  private readonly fieldsOfEvent = new Map<string, string[]>();
  private readonly fetchSlot: ReturnType<typeof limiter>;
  // Replays have slots of their own, so resuming clients cannot hold up live events, and share
  // one fetch per (selection, variables, roles) and event while it is fresh.
  private readonly replaySlot: ReturnType<typeof limiter>;
  private readonly replayFetches = new Map<string, Promise<FormattedExecutionResult>>();
  private readonly stopFeed: () => void;
  readonly maxQueuedEvents: number;
  // One user's open subscriptions on this gateway, whatever connections they came by.
  private readonly perUser = new Map<string, number>();
  private readonly maxPerUser: number;
  private readonly subscriptionType: GraphQLObjectType;
  private readonly payloadTypes: Set<GraphQLObjectType>;
  private readonly resolveField: GraphQLFieldResolver<unknown, { fetched: Record<string, unknown>; entities: readonly string[] }>;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly recent: RecentEvents,
    private readonly readEntities: EntityReader,
    settings: Settings['subscriptions'],
  ) {
    this.maxQueuedEvents = settings.maxQueuedEvents;
    this.maxPerUser = settings.maxPerUser;
    this.fetchSlot = limiter(settings.fetchConcurrency);
    this.replaySlot = limiter(Math.max(1, Math.floor(settings.fetchConcurrency / 4)));
    for (const [fieldName, field] of Object.entries(SUBSCRIPTION_FIELDS)) {
      for (const type of field.events) this.fieldsOfEvent.set(type, [...(this.fieldsOfEvent.get(type) ?? []), fieldName]);
      this.subscribers.set(fieldName, new Map());
    }
    this.subscriptionType = schema.getSubscriptionType()!;
    this.payloadTypes = new Set(Object.values(this.subscriptionType.getFields()).map((field) => (field.type as { ofType: GraphQLObjectType }).ofType));
    // The payload's own fields come from the event; its entity fields and everything under them
    // from the fetched data, which is keyed by response name (aliases) like any GraphQL answer.
    this.resolveField = (source, _args, { fetched, entities }, info) => {
      if (info.parentType === this.subscriptionType) return source;
      if (this.payloadTypes.has(info.parentType)) return entities.includes(info.fieldName) ? (fetched[info.path.key] ?? null) : (source as Record<string, unknown>)[info.fieldName];
      return (source as Record<string, unknown> | null)?.[info.path.key as string];
    };
    this.stopFeed = recent.onEvent((entry) => this.dispatch(entry));
  }

  get size(): number {
    let count = 0;
    for (const groups of this.subscribers.values()) for (const group of groups.values()) count += group.size;
    return count;
  }

  // A new subscriber, given the events after `lastEventId` first when it resumes; or why not:
  // that event is no longer (or never was) in the window, or the user has too many open.
  subscribe(prepared: PreparedSubscription, session: Session, lastEventId: string | undefined, onDrop: (reason: DropReason) => void, backedUp: () => boolean): Subscriber | 'replay-unavailable' | 'too-many' {
    const user = userOf(session.identity);
    if ((this.perUser.get(user) ?? 0) >= this.maxPerUser) return 'too-many';
    const missed = lastEventId === undefined ? [] : this.recent.after(lastEventId);
    if (!missed) return 'replay-unavailable';
    const subscriber = new Subscriber(prepared, session, this, onDrop, backedUp);
    subscriber.position = this.recent.latest();
    for (const entry of missed) {
      if (entry.position > subscriber.position || !readableEvent(entry.event) || !prepared.field.events.includes(entry.event.type as never)) continue;
      const payload = prepared.field.payload(entry.event, prepared.args);
      if (payload) subscriber.replayed(() => this.result(prepared, session.identity, entry.event, payload));
    }
    if (subscriber.active) {
      const groups = this.subscribers.get(prepared.fieldName)!;
      let group = groups.get(prepared.resultKey);
      if (!group) groups.set(prepared.resultKey, (group = new Set()));
      group.add(subscriber);
      this.perUser.set(user, (this.perUser.get(user) ?? 0) + 1);
    }
    return subscriber;
  }

  remove(subscriber: Subscriber): void {
    const groups = this.subscribers.get(subscriber.prepared.fieldName);
    const group = groups?.get(subscriber.prepared.resultKey);
    if (!group?.delete(subscriber)) return;
    const user = userOf(subscriber.session.identity);
    const left = this.perUser.get(user)! - 1;
    if (left > 0) this.perUser.set(user, left);
    else this.perUser.delete(user);
    if (!group.size) groups!.delete(subscriber.prepared.resultKey);
  }

  // Ends every subscription (the gateway is stopping): clients reconnect elsewhere and resume.
  close(): void {
    this.stopFeed();
    for (const groups of this.subscribers.values()) {
      for (const group of [...groups.values()]) {
        for (const subscriber of [...group]) subscriber.drop({ code: 'SHUTTING_DOWN', message: 'The gateway is restarting: reconnect and resume from your last event id' });
      }
    }
  }

  private dispatch({ position, event }: FeedEntry): void {
    const fieldNames = this.fieldsOfEvent.get(event.type);
    if (!fieldNames || !readableEvent(event)) return;
    // Per event: one fetch per (selection, variables, roles), one result per group of
    // subscribers with the same document, variables and roles, whatever their number.
    const fetches = new Map<string, Promise<FormattedExecutionResult>>();
    for (const fieldName of fieldNames) {
      for (const group of this.subscribers.get(fieldName)!.values()) {
        const [first] = group;
        const { prepared, session } = first;
        const payload = prepared.field.payload(event, prepared.args);
        let result: Promise<FormattedExecutionResult> | undefined;
        for (const subscriber of group) {
          // A subscriber that joined after this event was given it as a missed one.
          if (subscriber.position >= position) continue;
          subscriber.position = position;
          if (!payload) continue;
          if (!result) {
            let fetched = fetches.get(prepared.fetchKey);
            if (!fetched) fetches.set(prepared.fetchKey, (fetched = this.fetch(prepared.fetch, payload, session.identity)));
            result = fetched.then((data) => this.build(prepared, event, payload, data));
            // A result that failed to build still reaches each subscriber (as a rejection).
            result.catch(() => {});
          }
          subscriber.delivered(result);
        }
      }
    }
  }

  private async result(prepared: PreparedSubscription, identity: Identity, event: EventEnvelope, payload: EventPayload): Promise<FormattedExecutionResult> {
    const key = `${prepared.fetchKey}\n${event.id}`;
    let fetched = this.replayFetches.get(key);
    if (!fetched) {
      fetched = this.fetch(prepared.fetch, payload, identity, this.replaySlot);
      this.replayFetches.set(key, fetched);
      const forget = setTimeout(() => this.replayFetches.delete(key), REPLAY_SHARING_MS);
      forget.unref();
    }
    return this.build(prepared, event, payload, await fetched);
  }

  private fetch(fetch: EntityFetch | null, payload: EventPayload, identity: Identity, slot = this.fetchSlot): Promise<FormattedExecutionResult> {
    if (!fetch) return Promise.resolve({ data: {} });
    const ids = Object.fromEntries(Object.entries(fetch.idVariables).map(([entity, variable]) => [variable, payload.entityIds[entity]]));
    return slot(() => this.readEntities(fetch.query, { ...fetch.variables, ...ids }, identity)).catch(unavailable);
  }

  private build(prepared: PreparedSubscription, event: EventEnvelope, payload: EventPayload, fetched: FormattedExecutionResult): FormattedExecutionResult {
    const local = executeSync({
      schema: this.schema,
      document: prepared.document,
      operationName: prepared.operationName,
      variableValues: prepared.variableValues,
      rootValue: payload.fields,
      contextValue: { fetched: fetched.data ?? {}, entities: prepared.field.entities },
      fieldResolver: this.resolveField,
    });
    const errors: GraphQLFormattedError[] = [
      ...(fetched.errors ?? []).map((error) => (error.path ? { ...error, path: [prepared.rootKey, ...error.path] } : error)),
      ...(local.errors ?? []).map((error: GraphQLError) => error.toJSON()),
    ];
    // extensions first: the SSE transport reads the event id from the start of the message.
    return { extensions: { eventId: event.id }, data: local.data as Record<string, unknown> | null, ...(errors.length ? { errors } : {}) };
  }
}
