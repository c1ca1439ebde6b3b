import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// One registry per service, because `npm start` and the tests run all four in one process.
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  return {
    registry,
    sqlStatements: new Counter({ name: 'sql_statements_total', help: 'SQL statements sent to the database', registers: [registry] }),
    connections: new Counter({ name: 'http_connections_total', help: 'TCP connections accepted', registers: [registry] }),
    httpRequests: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

// Process-wide metrics (CPU, memory, event loop) belong to the process, not to a service.
let processMetricsRegistered = false;
export function registerProcessMetrics(metrics: Metrics): void {
  if (processMetricsRegistered) return;
  processMetricsRegistered = true;
  collectDefaultMetrics({ register: metrics.registry });
}
