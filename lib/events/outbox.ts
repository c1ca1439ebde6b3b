import { randomUUID } from 'node:crypto';
import { sqltag as sql, type Sql } from '@prisma/client/runtime/client';
import { EVENT_CATALOG, type EventData, type EventType } from './catalog';

// Any subgraph's Prisma client or interactive transaction: the outbox tables have the same
// shape in every subgraph's database (the OutboxEvent, EventSequence and ProcessedEvent models).
export type SqlRunner = {
  $queryRaw<T = unknown>(query: Sql): PromiseLike<T>;
  $executeRaw(query: Sql): PromiseLike<number>;
};

// The channel the relay listens on; NOTIFY is delivered when the transaction commits.
export const OUTBOX_CHANNEL = 'crm_outbox';

// Writes the event in the caller's transaction, so it exists if and only if the change does.
// The aggregate's sequence row is locked until the transaction ends, which numbers one
// aggregate's events in commit order.
export async function appendEvent<T extends EventType>(tx: SqlRunner, source: string, type: T, aggregateId: string, data: EventData<T>): Promise<string> {
  const { aggregateType, version } = EVENT_CATALOG[type];
  const id = randomUUID();
  // One statement (one round trip inside the caller's transaction): number, write, notify.
  await tx.$queryRaw(sql`
    WITH "numbered" AS (
      INSERT INTO "EventSequence" ("aggregateType", "aggregateId", "last") VALUES (${aggregateType}, ${aggregateId}, 1)
      ON CONFLICT ("aggregateType", "aggregateId") DO UPDATE SET "last" = "EventSequence"."last" + 1
      RETURNING "last"
    ), "written" AS (
      INSERT INTO "OutboxEvent" ("id", "type", "version", "source", "aggregateType", "aggregateId", "sequence", "data")
      SELECT ${id}::uuid, ${type}, ${version}, ${source}, ${aggregateType}, ${aggregateId}, "last", ${JSON.stringify(data)}::jsonb FROM "numbered"
      RETURNING 1
    )
    SELECT pg_notify(${OUTBOX_CHANNEL}, '')::text FROM "written"`);
  return id;
}

// appendEvent for many aggregates at once in a constant number of statements (adding 1,000
// campaign members writes 1,000 events), each aggregate numbered as appendEvent numbers it.
export async function appendEvents<T extends EventType>(tx: SqlRunner, source: string, type: T, events: readonly { aggregateId: string; data: EventData<T> }[]): Promise<string[]> {
  if (!events.length) return [];
  const aggregateIds = events.map((event) => event.aggregateId);
  // One statement cannot number the same sequence row twice.
  if (new Set(aggregateIds).size !== aggregateIds.length) throw new Error(`appendEvents: ${type} names an aggregate twice`);
  const { aggregateType, version } = EVENT_CATALOG[type];
  const numbered = await tx.$queryRaw<{ aggregateId: string; last: number }[]>(sql`
    INSERT INTO "EventSequence" ("aggregateType", "aggregateId", "last")
    SELECT ${aggregateType}, "aggregateId", 1 FROM unnest(${aggregateIds}::text[]) AS input("aggregateId")
    ON CONFLICT ("aggregateType", "aggregateId") DO UPDATE SET "last" = "EventSequence"."last" + 1
    RETURNING "aggregateId", "last"`);
  const sequenceOf = new Map(numbered.map((row) => [row.aggregateId, row.last]));
  const ids = events.map(() => randomUUID());
  await tx.$executeRaw(sql`
    INSERT INTO "OutboxEvent" ("id", "type", "version", "source", "aggregateType", "aggregateId", "sequence", "data")
    SELECT input."id", ${type}, ${version}, ${source}, ${aggregateType}, input."aggregateId", input."sequence", input."data"
    FROM unnest(${ids}::uuid[], ${aggregateIds}::text[], ${aggregateIds.map((id) => sequenceOf.get(id)!)}::int[], ${events.map((event) => JSON.stringify(event.data))}::jsonb[])
      WITH ORDINALITY AS input("id", "aggregateId", "sequence", "data", "position")
    ORDER BY input."position"`);
  await tx.$executeRaw(sql`SELECT pg_notify(${OUTBOX_CHANNEL}, '')`);
  return ids;
}
