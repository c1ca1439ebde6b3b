import type { EventEnvelope } from './envelope';

// One delivery of an event to a durable consumer. Each is acknowledged, or handed back to be
// delivered again after a delay; an unacknowledged one comes back after the broker's ack wait.
export type Delivery = {
  event: EventEnvelope | null;
  // Set when the message could not be read as an event (sent by something else, corrupted).
  unreadable?: { raw: string; reason: string };
  // 1 on the first delivery.
  deliveryCount: number;
  ack(): void;
  retry(delayMs: number): void;
};

export type Subscription = {
  stop(): Promise<void>;
  // Events stored for this consumer that it has not acknowledged yet.
  pending(): Promise<number>;
};

// A reader of the whole stream that the broker keeps nothing of (see follow()).
export type EventFeed = {
  // Resolves once the events stored before follow() was called have been delivered, or when
  // the broker is down: a reader starting during an outage goes on with what it has.
  caughtUp: Promise<void>;
  stop(): Promise<void>;
};

// What the outbox relay and the inbox consumers need from a broker: NATS JetStream in
// deployments (nats-transport.ts), a broker inside the process for `npm start` and the tests
// when no NATS server is configured (in-process-transport.ts).
export interface EventTransport {
  readonly kind: 'nats' | 'in-process';
  // Resolves once the broker has stored the event; publishing the same id again is a no-op.
  publish(event: EventEnvelope): Promise<void>;
  publishDeadLetter(consumer: string, body: { event: EventEnvelope | null; raw?: string; error: string; deliveries: number }): Promise<void>;
  // A durable consumer: it resumes where it stopped, across restarts of the service.
  // types: event types, e.g. ['customer.created', 'order.>'] (NATS subject wildcards).
  // Up to `concurrency` deliveries are handed out before earlier ones settle, so one aggregate's
  // events may be applied concurrently and out of order: handlers must not depend on order.
  consume(consumer: string, types: readonly string[], onDelivery: (delivery: Delivery) => Promise<void>, concurrency?: number): Promise<Subscription>;
  // Every stored event of these types from the first, in order, for rebuilding a read model.
  replay(types: readonly string[], onEvent: (event: EventEnvelope) => Promise<void>): Promise<number>;
  // Every event of the namespace stored at or after `since`, then the live ones, in stream order,
  // for a process that keeps recent events in memory (each gateway replica follows on its own).
  // Not durable: it leaves nothing on the broker once stopped, and a restarted process follows
  // anew. It carries on across broker outages without delivering an event twice.
  follow(since: Date, onEvent: (event: EventEnvelope) => void): Promise<EventFeed>;
  status(): 'up' | 'down';
  close(): Promise<void>;
}

// NATS subject matching: tokens separated by dots, * matches one token, > the rest.
export function subjectMatches(pattern: string, subject: string): boolean {
  const wanted = pattern.split('.');
  const tokens = subject.split('.');
  for (let index = 0; index < wanted.length; index++) {
    if (wanted[index] === '>') return tokens.length > index;
    if (index >= tokens.length || (wanted[index] !== '*' && wanted[index] !== tokens[index])) return false;
  }
  return wanted.length === tokens.length;
}

// At most `limit` promises in flight; run() waits for a free slot, idle() for all to finish.
export function slots(limit: number) {
  const running = new Set<Promise<void>>();
  return {
    async run(work: () => Promise<void>): Promise<void> {
      while (running.size >= limit) await Promise.race(running);
      const task: Promise<void> = work()
        .catch(() => {})
        .finally(() => running.delete(task));
      running.add(task);
    },
    async idle(): Promise<void> {
      await Promise.all(running);
    },
  };
}
