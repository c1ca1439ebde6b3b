import { z } from 'zod';
import type { EventEnvelope } from './envelope';

// Every event type, the aggregate it belongs to, the version its producer writes and the data
// it carries. Producers are type-checked against it and consumers parse with it, so a change
// here is a change of the contract between services (docs/events.md explains each).
// Events carry no personal data (no names, emails, phones, companies or tags): the stream keeps events for
// replay, and an erased customer must not live on in it.

const id = z.uuid();
const timestamp = z.iso.datetime({ offset: true });
const minorUnits = z.string().regex(/^-?\d+$/);
const currency = z.string().length(3);

const customerState = z.object({
  status: z.enum(['LEAD', 'PROSPECT', 'ACTIVE', 'CHURNED']),
  kind: z.enum(['PERSON', 'ORGANIZATION']),
  ownerId: z.string().nullable(),
  archived: z.boolean(),
});

const orderState = z.object({
  customerId: id,
  status: z.enum(['DRAFT', 'PLACED', 'PAID', 'FULFILLED', 'CANCELLED']),
  currency,
  totalMinor: minorUnits,
  placedAt: timestamp.nullable(),
  createdAt: timestamp,
});

const opportunityState = z.object({
  customerId: id,
  stage: z.enum(['PROSPECTING', 'QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'CLOSED_WON', 'CLOSED_LOST']),
  previousStage: z.enum(['PROSPECTING', 'QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'CLOSED_WON', 'CLOSED_LOST']).nullable(),
  amountMinor: minorUnits,
  currency,
  ownerId: z.string().nullable(),
});

const deletionHold = z.object({ holdId: id });
const memberState = z.object({ campaignId: id, customerId: id, status: z.enum(['TARGETED', 'SENT', 'OPENED', 'CLICKED', 'RESPONDED', 'CONVERTED', 'UNSUBSCRIBED']) });
const attribution = z.object({ campaignId: id, orderId: id, customerId: id });

export const EVENT_CATALOG = {
  'customer.created': { aggregateType: 'Customer', version: 1, data: customerState },
  'customer.updated': { aggregateType: 'Customer', version: 1, data: customerState },
  'customer.archived': { aggregateType: 'Customer', version: 1, data: customerState },
  'customer.restored': { aggregateType: 'Customer', version: 1, data: customerState },
  // A deleteCustomer that did not go ahead: services release the hold it placed.
  'customer.deletion-cancelled': { aggregateType: 'Customer', version: 1, data: deletionHold },
  'customer.deleted': { aggregateType: 'Customer', version: 1, data: deletionHold },
  'customer.erased': { aggregateType: 'Customer', version: 1, data: z.object({ requestedAt: timestamp }) },
  // A service's answer to customer.erased: it holds nothing personal about the customer now.
  'customer-erasure.completed': { aggregateType: 'CustomerErasure', version: 1, data: z.object({ customerId: id, service: z.string() }) },

  'order.created': { aggregateType: 'Order', version: 1, data: orderState },
  'order.status-changed': { aggregateType: 'Order', version: 1, data: orderState.extend({ previousStatus: orderState.shape.status }) },
  'order.deleted': { aggregateType: 'Order', version: 1, data: deletionHold.extend({ customerId: id }) },
  'order.deletion-cancelled': { aggregateType: 'Order', version: 1, data: deletionHold.extend({ customerId: id }) },
  'opportunity.created': { aggregateType: 'Opportunity', version: 1, data: opportunityState },
  'opportunity.stage-changed': { aggregateType: 'Opportunity', version: 1, data: opportunityState },
  'opportunity.deleted': { aggregateType: 'Opportunity', version: 1, data: z.object({ customerId: id }) },

  'campaign-member.added': { aggregateType: 'CampaignMember', version: 1, data: memberState },
  'campaign-member.status-changed': { aggregateType: 'CampaignMember', version: 1, data: memberState },
  'campaign-member.removed': { aggregateType: 'CampaignMember', version: 1, data: memberState },
  'campaign-response.recorded': {
    aggregateType: 'CampaignResponse',
    version: 1,
    data: z.object({ campaignId: id, customerId: id, type: z.enum(['OPENED', 'CLICKED', 'REPLIED', 'REGISTERED', 'UNSUBSCRIBED']), occurredAt: timestamp }),
  },
  'order-attribution.added': { aggregateType: 'OrderAttribution', version: 1, data: attribution },
  'order-attribution.removed': { aggregateType: 'OrderAttribution', version: 1, data: attribution },
} as const satisfies Record<string, { aggregateType: string; version: number; data: z.ZodType }>;

export type EventType = keyof typeof EVENT_CATALOG;
export type EventData<T extends EventType> = z.infer<(typeof EVENT_CATALOG)[T]['data']>;
export const EVENT_TYPES = Object.keys(EVENT_CATALOG) as EventType[];

// An event no consumer can ever apply (unknown type or version, data of the wrong shape):
// retrying it cannot help, so it goes to the dead-letter subject at once.
export class PoisonEventError extends Error {}

export function parseEvent<T extends EventType>(event: EventEnvelope, type: T): EventData<T> {
  const entry = EVENT_CATALOG[type];
  if (event.type !== type) throw new PoisonEventError(`expected a ${type} event, got ${event.type}`);
  if (event.version !== entry.version) throw new PoisonEventError(`${type} version ${event.version} is not known (this service reads version ${entry.version})`);
  const parsed = entry.data.safeParse(event.data);
  if (!parsed.success) throw new PoisonEventError(`${type} data does not match its schema: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return parsed.data as EventData<T>;
}
