import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { eventNames, isEventEnvelope, type EventEnvelope, type EventNames } from './envelope';
import { slots, subjectMatches, type Delivery, type EventTransport, type Subscription } from './transport';

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

// NATS JetStream: one stream holds every event of the namespace, one holds dead letters; each
// consumer is a durable pull consumer with explicit acknowledgement. The service creates (or
// updates) them when it starts, so a new deployment needs no separate set-up step.
export class NatsTransport implements EventTransport {
  readonly kind = 'nats' as const;
  private readonly names: EventNames;
  private readonly subscriptions = new Set<Subscription>();
  private connected = true;

  private constructor(
    private readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly settings: NatsSettings,
  ) {
    this.names = eventNames(settings.namespace);
    void (async () => {
      for await (const status of connection.status()) {
        if (status.type === 'disconnect') this.connected = false;
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
    for (const config of streams) {
      try {
        await this.jsm.streams.info(config.name);
        await this.jsm.streams.update(config.name, config);
      } catch {
        await this.jsm.streams.add(config);
      }
    }
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
        const text = message.string();
        let event: EventEnvelope | null = null;
        let unreadable: Delivery['unreadable'];
        try {
          const parsed: unknown = JSON.parse(text);
          if (isEventEnvelope(parsed)) event = parsed;
          else unreadable = { raw: text.slice(0, 2_000), reason: 'not an event envelope' };
        } catch {
          unreadable = { raw: text.slice(0, 2_000), reason: 'not JSON' };
        }
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
