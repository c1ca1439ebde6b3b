import type { EventEnvelope } from './envelope';
import { logger } from '../logger';
import { slots, subjectMatches, type Delivery, type EventFeed, type EventTransport, type Subscription } from './transport';

const log = logger.child({ component: 'events' });

type Queued = { event: EventEnvelope; deliveries: number; notBefore: number };

type Durable = { types: readonly string[]; queue: Queued[]; inFlight: Set<Queued>; wake: (() => void) | null; active: boolean };

// Kept bounded: `npm start` runs for days, and replay from here is a development convenience.
const LOG_LIMIT = 200_000;
const DEDUPE_LIMIT = 100_000;

// A broker inside the process, for the platform started by `npm start` and for tests on a
// machine without NATS: the same durable-consumer semantics as JetStream (at least once,
// redelivery after a delay, de-duplication by event id), kept in memory. Durability comes from
// the outbox (unpublished events are sent again after a restart) and the inbox tables.
export class InProcessBroker {
  private readonly log: EventEnvelope[] = [];
  private readonly seen = new Set<string>();
  private readonly durables = new Map<string, Durable>();
  private readonly followers = new Set<(event: EventEnvelope) => void>();
  readonly deadLetters: { consumer: string; event: EventEnvelope | null; raw?: string; error: string; deliveries: number }[] = [];

  store(event: EventEnvelope): void {
    if (this.seen.has(event.id)) return;
    this.seen.add(event.id);
    if (this.seen.size > DEDUPE_LIMIT) this.seen.delete(this.seen.values().next().value!);
    this.log.push(event);
    if (this.log.length > LOG_LIMIT) this.log.shift();
    for (const durable of this.durables.values()) {
      if (durable.types.some((type) => subjectMatches(type, event.type))) {
        durable.queue.push({ event, deliveries: 0, notBefore: 0 });
        durable.wake?.();
      }
    }
    for (const follower of this.followers) follower(event);
  }

  // The stored events that occurred at or after `since`, then each one stored from now on.
  follow(since: Date, onEvent: (event: EventEnvelope) => void): () => void {
    // A follower that throws is its own problem: it must not fail the publisher's store().
    const follower = (event: EventEnvelope) => {
      try {
        onEvent(event);
      } catch (error) {
        log.warn({ err: (error as Error).message, eventId: event.id }, 'an event follower failed');
      }
    };
    for (const event of this.log) if (Date.parse(event.occurredAt) >= since.getTime()) follower(event);
    this.followers.add(follower);
    return () => this.followers.delete(follower);
  }

  // A new durable starts from the first stored event, as a JetStream durable with DeliverAll.
  durable(name: string, types: readonly string[]): Durable {
    let durable = this.durables.get(name);
    if (!durable) {
      const queue = this.log.filter((event) => types.some((type) => subjectMatches(type, event.type))).map((event) => ({ event, deliveries: 0, notBefore: 0 }));
      durable = { types, queue, inFlight: new Set(), wake: null, active: false };
      this.durables.set(name, durable);
    }
    return durable;
  }

  stored(types: readonly string[]): EventEnvelope[] {
    return this.log.filter((event) => types.some((type) => subjectMatches(type, event.type)));
  }

  transport(): EventTransport {
    return new InProcessTransport(this);
  }
}

class InProcessTransport implements EventTransport {
  readonly kind = 'in-process' as const;
  private readonly subscriptions = new Set<Pick<Subscription, 'stop'>>();

  constructor(private readonly broker: InProcessBroker) {}

  async publish(event: EventEnvelope): Promise<void> {
    this.broker.store(event);
  }

  async publishDeadLetter(consumer: string, body: { event: EventEnvelope | null; raw?: string; error: string; deliveries: number }): Promise<void> {
    this.broker.deadLetters.push({ consumer, ...body });
  }

  async consume(consumer: string, types: readonly string[], onDelivery: (delivery: Delivery) => Promise<void>, concurrency = 1): Promise<Subscription> {
    const durable = this.broker.durable(consumer, types);
    if (durable.active) throw new Error(`consumer ${consumer} is already running in this process`);
    durable.active = true;
    // Deliveries handed out but never settled (their consumer stopped) are delivered again.
    durable.queue.unshift(...durable.inFlight);
    durable.inFlight.clear();
    let running = true;
    let timer: NodeJS.Timeout | undefined;
    const next = (): Queued | undefined => {
      const now = Date.now();
      const index = durable.queue.findIndex((item) => item.notBefore <= now);
      return index < 0 ? undefined : durable.queue.splice(index, 1)[0];
    };
    const deliver = async (item: Queued) => {
      let settled = false;
      await onDelivery({
        event: item.event,
        deliveryCount: item.deliveries,
        ack: () => {
          settled = true;
        },
        retry: (delayMs) => {
          settled = true;
          durable.queue.push({ ...item, notBefore: Date.now() + delayMs });
        },
      }).catch(() => {});
      if (!durable.inFlight.delete(item)) return;
      if (!settled) durable.queue.unshift(item);
      durable.wake?.();
    };
    const inFlight = slots(concurrency);
    const loop = (async () => {
      while (running) {
        const item = next();
        if (!item) {
          const soonest = Math.min(...durable.queue.map((queued) => queued.notBefore));
          await new Promise<void>((resolve) => {
            durable.wake = resolve;
            if (Number.isFinite(soonest)) timer = setTimeout(resolve, Math.max(1, soonest - Date.now()));
          });
          clearTimeout(timer);
          durable.wake = null;
          continue;
        }
        item.deliveries += 1;
        durable.inFlight.add(item);
        await inFlight.run(() => deliver(item));
      }
      await inFlight.idle();
    })();
    const subscription: Subscription = {
      stop: async () => {
        running = false;
        durable.wake?.();
        await loop;
        durable.active = false;
        this.subscriptions.delete(subscription);
      },
      pending: async () => durable.queue.length + durable.inFlight.size,
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async replay(types: readonly string[], onEvent: (event: EventEnvelope) => Promise<void>): Promise<number> {
    const events = this.broker.stored(types);
    for (const event of events) await onEvent(event);
    return events.length;
  }

  async follow(since: Date, onEvent: (event: EventEnvelope) => void): Promise<EventFeed> {
    const unfollow = this.broker.follow(since, onEvent);
    const feed = {
      caughtUp: Promise.resolve(),
      stop: async () => {
        unfollow();
        this.subscriptions.delete(feed);
      },
    };
    this.subscriptions.add(feed);
    return feed;
  }

  status(): 'up' {
    return 'up';
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
  }
}
