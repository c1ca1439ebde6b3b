import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

// The event backbone's numbers on each subgraph's /metrics.
export function createEventMetrics(registry: Registry, backlog: () => Promise<number>, consumerPending: () => Promise<Record<string, number>>) {
  return {
    published: new Counter({ name: 'events_published_total', help: 'Outbox events the relay published', registers: [registry] }),
    relayFailures: new Counter({ name: 'events_relay_failures_total', help: 'Relay attempts that could not publish (broker or database unreachable)', registers: [registry] }),
    outboxBacklog: new Gauge({
      name: 'events_outbox_backlog',
      help: 'Committed outbox events not yet published',
      registers: [registry],
      async collect() {
        this.set(await backlog().catch(() => -1));
      },
    }),
    consumed: new Counter({ name: 'events_consumed_total', help: 'Events applied by a consumer', labelNames: ['consumer'], registers: [registry] }),
    duplicates: new Counter({ name: 'events_duplicates_total', help: 'Deliveries of an event the consumer had already applied (skipped)', labelNames: ['consumer'], registers: [registry] }),
    redelivered: new Counter({ name: 'events_redelivered_total', help: 'Deliveries handed back to be retried after a failure', labelNames: ['consumer'], registers: [registry] }),
    deadLettered: new Counter({ name: 'events_dead_lettered_total', help: 'Events sent to the dead-letter subject', labelNames: ['consumer'], registers: [registry] }),
    lag: new Histogram({
      name: 'events_consumer_lag_seconds',
      help: 'From the commit that wrote an event to its consumer applying it',
      labelNames: ['consumer'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30, 300],
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'events_consumer_pending',
      help: 'Events stored for a consumer that it has not applied yet',
      labelNames: ['consumer'],
      registers: [registry],
      async collect() {
        const counts = await consumerPending().catch(() => ({}) as Record<string, number>);
        for (const [consumer, count] of Object.entries(counts)) this.set({ consumer }, count);
      },
    }),
  };
}

export type EventMetrics = ReturnType<typeof createEventMetrics>;
