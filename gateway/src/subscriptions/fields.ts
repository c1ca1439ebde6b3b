import type { EventEnvelope } from '../../../lib/events/envelope';
import { z } from 'zod';
import { EVENT_CATALOG, type EventData, type EventType } from '../../../lib/events/catalog';
import { boundedList, enumList } from '../../../lib/input-limits';

// What an event becomes for the subscribers of one field: the payload's own fields (taken from
// the event) and the ids of the entities the payload names, which the gateway reads through the
// federated graph with each subscriber's roles.
export type EventPayload = {
  fields: Record<string, unknown>;
  // Payload field → the id its root query is asked for (customer → customer(id: …)).
  entityIds: Record<string, string>;
};

export type SubscriptionField = {
  // The events that may concern this field's subscribers.
  events: readonly EventType[];
  // Bounds on the arguments (lists), checked when a client subscribes.
  args: z.ZodType;
  // The payload's entity fields and the root query field that reads each by id; the payload
  // field and the root field have the same name and type.
  entities: readonly string[];
  // The payload for an event this field's subscribers with these arguments want, or null.
  payload(event: EventEnvelope, args: Record<string, unknown>): EventPayload | null;
};

const dataOf = <T extends EventType>(event: EventEnvelope) => event.data as EventData<T>;
const common = (event: EventEnvelope) => ({ eventId: event.id, occurredAt: event.occurredAt });
const wanted = (filter: unknown, value: string | null) => filter === undefined || filter === null || filter === value;
const listed = (filter: unknown, value: string) => !Array.isArray(filter) || filter.includes(value);

const CUSTOMER_CHANGE_KINDS: Partial<Record<EventType, string>> = {
  'customer.created': 'CREATED',
  'customer.updated': 'UPDATED',
  'customer.archived': 'ARCHIVED',
  'customer.restored': 'RESTORED',
  'customer.deleted': 'DELETED',
  'customer.erased': 'ERASED',
};

// Every subscription field of the supergraph and the events that drive it (docs/subscriptions.md).
// The gateway refuses to start when the supergraph has a subscription field this table lacks.
export const SUBSCRIPTION_FIELDS: Record<string, SubscriptionField> = {
  customerChanged: {
    events: Object.keys(CUSTOMER_CHANGE_KINDS) as EventType[],
    args: z.object({ ids: boundedList('Subscription.customerChanged(ids:)', z.string()).nullish(), kinds: enumList('Subscription.customerChanged(kinds:)', z.string()).nullish() }),
    entities: ['customer'],
    payload(event, args) {
      const kind = CUSTOMER_CHANGE_KINDS[event.type as EventType]!;
      if (!listed(args.ids, event.aggregateId) || !listed(args.kinds, kind)) return null;
      return { fields: { ...common(event), kind, customerId: event.aggregateId }, entityIds: { customer: event.aggregateId } };
    },
  },
  orderPlaced: {
    args: z.object({ customerId: z.string().nullish() }),
    events: ['order.created', 'order.status-changed'],
    entities: ['order'],
    payload(event, args) {
      const order = dataOf<'order.created'>(event);
      if (order.status !== 'PLACED' || !wanted(args.customerId, order.customerId)) return null;
      return { fields: { ...common(event), orderId: event.aggregateId, customerId: order.customerId }, entityIds: { order: event.aggregateId } };
    },
  },
  opportunityStageChanged: {
    args: z.object({ ownerId: z.string().nullish() }),
    events: ['opportunity.created', 'opportunity.stage-changed'],
    entities: ['opportunity'],
    payload(event, args) {
      const opportunity = dataOf<'opportunity.stage-changed'>(event);
      if (!wanted(args.ownerId, opportunity.ownerId)) return null;
      return {
        fields: { ...common(event), opportunityId: event.aggregateId, stage: opportunity.stage, previousStage: opportunity.previousStage, ownerId: opportunity.ownerId },
        entityIds: { opportunity: event.aggregateId },
      };
    },
  },
  campaignResponseRecorded: {
    args: z.object({ campaignId: z.string().nullish() }),
    events: ['campaign-response.recorded'],
    entities: ['campaign', 'customer'],
    payload(event, args) {
      const response = dataOf<'campaign-response.recorded'>(event);
      if (!wanted(args.campaignId, response.campaignId)) return null;
      return {
        fields: { ...common(event), responseId: event.aggregateId, type: response.type, campaignId: response.campaignId, customerId: response.customerId, respondedAt: response.occurredAt },
        entityIds: { campaign: response.campaignId, customer: response.customerId },
      };
    },
  },
};

// An event whose data does not match its catalog schema is not shown to anyone: consumers
// dead-letter such events, and a payload built from it could break the schema's promises.
// Checked once per event, however many subscribers dispatch and replays show it to.
const readable = new WeakMap<EventEnvelope, boolean>();
export function readableEvent(event: EventEnvelope): boolean {
  let known = readable.get(event);
  if (known === undefined) {
    const entry = EVENT_CATALOG[event.type as EventType];
    known = !!entry && entry.version === event.version && entry.data.safeParse(event.data).success;
    readable.set(event, known);
  }
  return known;
}
