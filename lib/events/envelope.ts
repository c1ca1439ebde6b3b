// What travels between services: a change one service committed, named by the aggregate it
// changed, with the state consumers need (docs/events.md lists every type and its data).
export type EventEnvelope<Data = Record<string, unknown>> = {
  // Unique per event; JetStream de-duplicates on it and consumers' inboxes record it.
  id: string;
  // e.g. customer.archived, order.placed (see catalog.ts).
  type: string;
  // The version of this type's data; a consumer refuses versions it does not know.
  version: number;
  // The subgraph that wrote it.
  source: string;
  aggregateType: string;
  aggregateId: string;
  // 1, 2, 3… per aggregate, in commit order: a consumer keeps the highest it applied and
  // ignores older state that arrives late.
  sequence: number;
  occurredAt: string;
  data: Data;
};

// Subjects and stream names, all under one namespace so that platforms sharing a NATS server
// (test runs, staging beside production) never see each other's events.
export function eventNames(namespace: string) {
  return {
    stream: `${namespace}_EVENTS`,
    deadLetterStream: `${namespace}_DEAD_LETTERS`,
    subjects: `${namespace}.events.>`,
    subjectOf: (type: string) => `${namespace}.events.${type}`,
    deadLetterSubjects: `${namespace}.dead-letter.>`,
    deadLetterSubjectOf: (consumer: string) => `${namespace}.dead-letter.${consumer}`,
    durableOf: (consumer: string) => `${namespace}_${consumer}`.replace(/[^A-Za-z0-9_-]/g, '_'),
  };
}

export type EventNames = ReturnType<typeof eventNames>;

export function isEventEnvelope(value: unknown): value is EventEnvelope {
  const event = value as Partial<EventEnvelope> | null;
  return (
    typeof event === 'object' &&
    event !== null &&
    typeof event.id === 'string' &&
    typeof event.type === 'string' &&
    Number.isInteger(event.version) &&
    typeof event.aggregateId === 'string' &&
    Number.isInteger(event.sequence) &&
    typeof event.data === 'object' &&
    event.data !== null
  );
}
