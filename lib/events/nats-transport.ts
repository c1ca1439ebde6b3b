import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { logger } from '../logger';
import { eventNames, isEventEnvelope, type EventEnvelope, type EventNames } from './envelope';
import { slots, subjectMatches, type Delivery, type EventFeed, type EventTransport, type Subscription } from './transport';

type StreamSettings = Partial<StreamConfig> & { name: string };
const ENSURE_STREAM_ATTEMPTS = 5;

// The services of a namespace start together (a new cluster, `npm start`, the tests), so
// another one may create or update the stream between this one's two calls, and a busy server
// may not answer in time: it looks again, a little later each time. Only "not found" is taken
// for a missing stream.
export async function ensureStream(streams: Pick<JetStreamManager['streams'], 'info' | 'add' | 'update'>, config: StreamSettings, attempt = 1): Promise<void> {
  try {
    const exists = await streams.info(config.name).then(
      () => true,
      (error: unknown) => {
        if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return false;
        throw error;
      },
    );
    await (exists ? streams.update(config.name, config) : streams.add(config));
  } catch (error) {
    if (attempt >= ENSURE_STREAM_ATTEMPTS) throw error;
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    await ensureStream(streams, config, attempt + 1);
  }
}

export type NatsSettings = {
  url: string;
  namespace: string;
  // How long JetStream remembers an event id to drop a second publish of it.
  duplicateWindowMs: number;
  // How long a delivery may go unacknowledged before JetStream sends it again (a consumer that
  // died mid-event).
  ackWaitMs: number;
  replicas: number;
};

const nanos = (ms: number) => ms * 1_000_000;

const log = logger.child({ component: 'events' });

// How long a feed waits before it tries again to read the stream after failing to.
const FOLLOW_RETRY_MS = 1_000;

function readEvent(text: string): Pick<Delivery, 'event' | 'unreadable'> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (isEventEnvelope(parsed)) return { event: parsed };
    return { event: null, unreadable: { raw: text.slice(0, 2_000), reason: 'not an event envelope' } };
  } catch {
    return { event: null, unreadable: { raw: text.slice(0, 2_000), reason: 'not JSON' } };
  }
}

// NATS JetStream: one stream holds every event of the namespace, one holds dead letters; each
// consumer is a durable pull consumer with explicit acknowledgement. The service creates (or
// updates) them when it starts, so a new deployment needs no separate set-up step.
export class NatsTransport implements EventTransport {
  readonly kind = 'nats' as const;
  private readonly names: EventNames;
  private readonly subscriptions = new Set<Pick<Subscription, 'stop'>>();
  private connected = true;
  private readonly onDisconnect = new Set<() => void>();

  private constructor(
    private readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly settings: NatsSettings,
  ) {
    this.names = eventNames(settings.namespace);
    void (async () => {
      for await (const status of connection.status()) {
        if (status.type === 'disconnect') {
          this.connected = false;
          for (const listener of this.onDisconnect) listener();
        }
        if (status.type === 'reconnect') this.connected = true;
      }
    })();
  }

  // Waits for the first connection (a service that starts before NATS keeps trying), then
  // makes sure the streams exist.
  static async connect(settings: NatsSettings, name: string): Promise<NatsTransport> {
    const connection = await connect({ servers: settings.url, name, maxReconnectAttempts: -1, reconnectTimeWait: 500, waitOnFirstConnect: true });
    const jsm = await jetstreamManager(connection);
    const transport = new NatsTransport(connection, jetstream(connection), jsm, settings);
    await transport.ensureStreams();
    return transport;
  }

  private async ensureStreams(): Promise<void> {
    const streams: (Partial<StreamConfig> & { name: string })[] = [
      { name: this.names.stream, subjects: [this.names.subjects], duplicate_window: nanos(this.settings.duplicateWindowMs), num_replicas: this.settings.replicas },
      { name: this.names.deadLetterStream, subjects: [this.names.deadLetterSubjects], num_replicas: this.settings.replicas },
    ];
    for (const config of streams) await ensureStream(this.jsm.streams, config);
  }

  async publish(event: EventEnvelope): Promise<void> {
    await this.js.publish(this.names.subjectOf(event.type), JSON.stringify(event), { msgID: event.id });
  }

  async publishDeadLetter(consumer: string, body: { event: EventEnvelope | null; raw?: string; error: string; deliveries: number }): Promise<void> {
    await this.js.publish(this.names.deadLetterSubjectOf(consumer), JSON.stringify({ consumer, ...body }));
  }

  // A consumer filters on several subjects from NATS 2.10 on. An older server (Debian's 2.9)
  // filters on one, so there a consumer of several types reads the namespace's whole stream and
  // acknowledges, unseen, the events of the types it does not read.
  private filterOf(types: readonly string[]): { filter_subjects: string[] } | { filter_subject: string } {
    const subjects = types.map((type) => this.names.subjectOf(type));
    const [major, minor] = (this.connection.info?.version ?? '0.0').split('.').map(Number);
    if (major > 2 || (major === 2 && minor >= 10)) return { filter_subjects: subjects };
    return { filter_subject: subjects.length === 1 ? subjects[0] : this.names.subjects };
  }

  async consume(consumer: string, types: readonly string[], onDelivery: (delivery: Delivery) => Promise<void>, concurrency = 1): Promise<Subscription> {
    const durable = this.names.durableOf(consumer);
    const filter = this.filterOf(types);
    const config = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ...filter,
      ack_wait: nanos(this.settings.ackWaitMs),
      max_deliver: -1,
    };
    try {
      await this.jsm.consumers.info(this.names.stream, durable);
      await this.jsm.consumers.update(this.names.stream, durable, { ...filter, ack_wait: config.ack_wait });
    } catch {
      await this.jsm.consumers.add(this.names.stream, config);
    }
    const source = await this.js.consumers.get(this.names.stream, durable);
    const messages: ConsumerMessages = await source.consume({ max_messages: 256 });
    const inFlight = slots(concurrency);
    const loop = (async () => {
      for await (const message of messages) {
        const { event, unreadable } = readEvent(message.string());
        if (event && !types.some((type) => subjectMatches(type, event.type))) {
          message.ack();
          continue;
        }
        await inFlight.run(() =>
          onDelivery({
            event,
            unreadable,
            deliveryCount: message.info.deliveryCount,
            ack: () => message.ack(),
            retry: (delayMs) => message.nak(delayMs),
          }).catch(() => message.nak(1_000)),
        );
      }
      await inFlight.idle();
    })();
    const subscription: Subscription = {
      stop: async () => {
        await messages.close();
        await loop;
        this.subscriptions.delete(subscription);
      },
      pending: async () => {
        const info = await source.info();
        return info.num_pending + info.num_ack_pending;
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async replay(types: readonly string[], onEvent: (event: EventEnvelope) => Promise<void>): Promise<number> {
    const filter = this.filterOf(types);
    const source = await this.js.consumers.get(this.names.stream, { filter_subjects: 'filter_subject' in filter ? filter.filter_subject : filter.filter_subjects, deliver_policy: DeliverPolicy.All });
    let remaining = (await source.info()).num_pending;
    let count = 0;
    let silent = 0;
    while (remaining > 0) {
      const message = await source.next({ expires: 5_000 });
      if (!message) {
        // The stream said more events were stored; a rebuild that stopped here would be short.
        if (++silent === 3) throw new Error(`replay stopped with ${remaining} events not delivered`);
        continue;
      }
      silent = 0;
      const parsed: unknown = JSON.parse(message.string());
      if (isEventEnvelope(parsed) && types.some((type) => subjectMatches(type, parsed.type))) {
        await onEvent(parsed);
        count++;
      }
      remaining = message.info.pending;
    }
    await source.delete().catch(() => {});
    return count;
  }

  // An ordered consumer: kept in the server's memory, unacknowledged, delivering in stream order.
  // Whenever it is lost (the server restarted, a message went missing, NATS cannot be reached)
  // the feed makes a new one from the sequence after the last it delivered, trying once a
  // second while NATS refuses.
  async follow(since: Date, onEvent: (event: EventEnvelope) => void): Promise<EventFeed> {
    let stopped = false;
    // The stream sequence of the last message delivered; 0 before the first.
    let last = 0;
    // The last event stored when the feed began: caught up once it has been delivered.
    let target = 0;
    let messages: ConsumerMessages | undefined;
    let pause: { timer: NodeJS.Timeout; end(): void } | undefined;
    let markCaughtUp!: () => void;
    const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
    if (!this.connected) markCaughtUp();
    this.onDisconnect.add(markCaughtUp);
    void caughtUp.then(() => this.onDisconnect.delete(markCaughtUp));

    let failures = 0;
    const read = async () => {
      let start = last + 1;
      if (last === 0) {
        const { state } = await this.jsm.streams.info(this.names.stream);
        target = state.last_seq;
        start = state.messages === 0 ? state.last_seq + 1 : await this.sequenceAt(since);
      }
      const source = await this.js.consumers.get(this.names.stream, { filter_subjects: this.names.subjects, opt_start_seq: start });
      try {
        if ((await source.info(true)).num_pending === 0) markCaughtUp();
        const reading = (messages = await source.consume({ max_messages: 256 }));
        // stop() came while the consumer was being made. The iterator ends once it reads that.
        if (stopped) void reading.close();
        failures = 0;
        // The client recreates a lost ordered consumer itself, but (in 3.4.0) still counts the
        // messages its lost pull asked for: it asks for one more, then stalls until it has missed
        // two heartbeats, 30 s or more. A consumer made anew here goes on at once.
        void (async () => {
          for await (const status of reading.status()) if (status.type === 'ordered_consumer_recreated') void reading.close();
        })();
        for await (const message of reading) {
          last = message.seq;
          const { event, unreadable } = readEvent(message.string());
          if (event) {
            try {
              onEvent(event);
            } catch (error) {
              log.warn({ err: (error as Error).message, eventId: event.id }, 'an event follower failed');
            }
          } else {
            log.warn({ stream: this.names.stream, seq: message.seq, reason: unreadable!.reason }, 'skipped an unreadable message in the event stream');
          }
          if (message.seq >= target || message.info.pending === 0) markCaughtUp();
        }
      } finally {
        await source.delete().catch(() => {});
      }
    };

    const running = (async () => {
      while (!stopped && !this.connection.isClosed()) {
        try {
          await read();
        } catch (error) {
          // NATS down or refusing: whoever waits for the feed goes on with what it has.
          markCaughtUp();
          if (++failures === 1) log.warn({ err: (error as Error).message, stream: this.names.stream }, 'cannot follow the event stream; trying again');
          if (!stopped) await new Promise<void>((resolve) => (pause = { timer: setTimeout(resolve, FOLLOW_RETRY_MS), end: resolve }));
        }
      }
    })();

    const feed: EventFeed = {
      caughtUp,
      stop: async () => {
        stopped = true;
        clearTimeout(pause?.timer);
        pause?.end();
        await messages?.close();
        await running;
        this.onDisconnect.delete(markCaughtUp);
        this.subscriptions.delete(feed);
      },
    };
    this.subscriptions.add(feed);
    return feed;
  }

  // The stream sequence of the first event stored at or after `since`. An ordered consumer
  // cannot be started at a time: the client recreates it with that start time beside a start
  // sequence, which the server refuses. NATS 2.9 has no look-up by time, so a consumer created
  // to start at that time tells it: its last delivered sequence is the one before.
  private async sequenceAt(since: Date): Promise<number> {
    const probe = await this.jsm.consumers.add(this.names.stream, {
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: since.toISOString(),
      ack_policy: AckPolicy.None,
      mem_storage: true,
      inactive_threshold: nanos(60_000),
    });
    await this.jsm.consumers.delete(this.names.stream, probe.name).catch(() => {});
    return probe.delivered.stream_seq + 1;
  }

  status(): 'up' | 'down' {
    return this.connected && !this.connection.isClosed() ? 'up' : 'down';
  }

  // Deletes the namespace's streams: for tests, which each run in a namespace of their own.
  async destroyNamespace(): Promise<void> {
    for (const name of [this.names.stream, this.names.deadLetterStream]) await this.jsm.streams.delete(name).catch(() => {});
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.connection.drain().catch(() => this.connection.close());
  }
}
