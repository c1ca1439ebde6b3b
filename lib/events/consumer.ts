import { sqltag as sql } from '@prisma/client/runtime/client';
import type { Logger } from 'pino';
import { PoisonEventError, type EventType } from './catalog';
import type { EventEnvelope } from './envelope';
import type { EventMetrics } from './metrics';
import type { EventDatabase } from './relay';
import type { SqlRunner } from './outbox';
import type { Delivery, EventTransport, Subscription } from './transport';

// A consumer's effect for one event type, run in the transaction that records the event in
// the inbox. Tx is the subgraph's own Prisma transaction client.
export type EventHandler<Tx> = (tx: Tx, event: EventEnvelope) => Promise<void>;

export type ConsumerDefinition<Tx> = {
  // Unique within the platform; the durable consumer's name and the inbox's key.
  name: string;
  handlers: Partial<Record<EventType, EventHandler<Tx>>>;
};

export type ConsumerSettings = { maxDeliveries: number; retryDelayMs: number; concurrency: number };

// Applies one event exactly once in this database: the event id goes into ProcessedEvent in
// the same transaction as the effect, so a redelivered event finds its id there and changes
// nothing. Returns false for an event applied before.
export async function applyOnce<Tx>(db: EventDatabase, consumer: ConsumerDefinition<Tx>, event: EventEnvelope): Promise<boolean> {
  const handler = consumer.handlers[event.type as EventType];
  if (!handler) throw new PoisonEventError(`${consumer.name} has no handler for ${event.type}`);
  return db.$transaction(async (tx: SqlRunner) => {
    const inserted = await tx.$executeRaw(sql`
      INSERT INTO "ProcessedEvent" ("consumer", "eventId") VALUES (${consumer.name}, ${event.id}::uuid) ON CONFLICT DO NOTHING`);
    if (inserted === 0) return false;
    await handler(tx as Tx, event);
    return true;
  });
}

// Runs a durable consumer: each delivery applied once, acknowledged after its transaction
// commits. A failure is retried after a delay up to maxDeliveries times; an event that cannot
// be applied (poison) goes to the dead-letter subject with its error and is acknowledged, so
// the events after it keep flowing.
export async function startConsumer<Tx>(options: {
  consumer: ConsumerDefinition<Tx>;
  db: EventDatabase;
  transport: EventTransport;
  settings: ConsumerSettings;
  metrics: EventMetrics;
  log: Logger;
}): Promise<Subscription> {
  const { consumer, db, transport, settings, metrics, log } = options;
  const labels = { consumer: consumer.name };
  const deadLetter = async (delivery: Delivery, error: string) => {
    await transport.publishDeadLetter(consumer.name, { event: delivery.event, raw: delivery.unreadable?.raw, error, deliveries: delivery.deliveryCount });
    metrics.deadLettered.inc(labels);
    log.error({ consumer: consumer.name, eventId: delivery.event?.id, type: delivery.event?.type, error }, 'event dead-lettered');
    delivery.ack();
  };
  return transport.consume(consumer.name, Object.keys(consumer.handlers), async (delivery) => {
    const { event } = delivery;
    if (!event) return deadLetter(delivery, `unreadable message: ${delivery.unreadable?.reason ?? 'unknown'}`);
    try {
      const applied = await applyOnce(db, consumer, event);
      (applied ? metrics.consumed : metrics.duplicates).inc(labels);
      if (applied) metrics.lag.observe(labels, Math.max(0, Date.now() - Date.parse(event.occurredAt)) / 1000);
      delivery.ack();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof PoisonEventError || delivery.deliveryCount >= settings.maxDeliveries) return deadLetter(delivery, message);
      metrics.redelivered.inc(labels);
      log.warn({ consumer: consumer.name, eventId: event.id, type: event.type, error: message, delivery: delivery.deliveryCount }, 'event failed; will be delivered again');
      delivery.retry(settings.retryDelayMs * delivery.deliveryCount);
    }
  }, settings.concurrency);
}
