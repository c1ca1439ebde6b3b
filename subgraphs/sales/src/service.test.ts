import { randomUUID } from 'node:crypto';
import { IDENTITY_HEADER, InternalIdentitySigner, secretFromEnv } from '../../../lib/auth';
import { connectDatabase, type Database } from '../../../lib/db';
import { applyOnce } from '../../../lib/events/consumer';
import type { EventEnvelope } from '../../../lib/events/envelope';
import type { EventDatabase } from '../../../lib/events/relay';
import { expectNoErrors, postGraphQL, startTestPlatform, type GraphQLResponse, type TestPlatform } from '../../../test/harness';
import { salesCustomerConsumer } from './consumers';
import { PrismaClient } from './generated/prisma/client';
import { cancelStaleOrderDeletions } from './service';

let platform: TestPlatform;
let database: Database<PrismaClient>;
let productId: string;

beforeAll(async () => {
  platform = await startTestPlatform();
  database = connectDatabase(PrismaClient, platform.databaseUrls.sales);
  productId = (await run('mutation { createProduct(input: { sku: "SVC-1", name: "Plan", price: { amount: "10.00", currency: "USD" } }) { id } }')).createProduct.id;
});
afterAll(async () => {
  await database?.close();
  await platform?.stop();
});

const salesGql = (query: string, variables: Record<string, unknown> = {}) => platform.subgraphGql('sales', query, variables);

async function run(query: string, variables: Record<string, unknown> = {}) {
  const response = await salesGql(query, variables);
  expectNoErrors(response);
  return response.body.data!;
}

function expectError(response: GraphQLResponse, code: string, field: string): string {
  expect(response.body.errors?.[0]?.extensions).toMatchObject({ code, field });
  return response.body.errors![0].message;
}

// How the customer service calls sales' internal mutations.
const signer = new InternalIdentitySigner(secretFromEnv('INTERNAL_JWT_SECRET'));
async function asCustomerService(query: string, variables: Record<string, unknown>): Promise<GraphQLResponse> {
  return postGraphQL(platform.subgraphs.sales.url, query, variables, { [IDENTITY_HEADER]: await signer.sign({ kind: 'service', service: 'customer' }) });
}

// A customer the customer service has; sales learns of it from its events or on first use.
async function realCustomer(name = 'Ada'): Promise<string> {
  const response = await platform.subgraphGql('customer', 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', { input: { name } });
  expectNoErrors(response);
  return response.body.data!.createCustomer.id;
}

const STATE = { status: 'LEAD', kind: 'ORGANIZATION', ownerId: 'u-1', archived: false };

// Applies a customer event to sales' projection as its consumer does when the event arrives.
function customerEvent(type: string, customerId: string, sequence: number, data: Record<string, unknown>, id = randomUUID()): Promise<boolean> {
  const event: EventEnvelope = { id, type, version: 1, source: 'customer', aggregateType: 'Customer', aggregateId: customerId, sequence, occurredAt: new Date().toISOString(), data };
  return applyOnce(database.prisma as unknown as EventDatabase, salesCustomerConsumer, event);
}

type EventRow = { type: string; sequence: number; data: Record<string, unknown> };
const eventsOf = (aggregateId: string) =>
  platform.sql<EventRow>('sales', 'SELECT "type", "sequence", "data" FROM "OutboxEvent" WHERE "aggregateId" = $1 ORDER BY "sequence"', [aggregateId]);
const knownCustomer = async (id: string) =>
  (await platform.sql<Record<string, unknown>>('sales', 'SELECT archived, deleted, erased, "deletionHoldId"::text, sequence, status FROM "KnownCustomer" WHERE id = $1', [id]))[0];

const CREATE_ORDER = 'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id status } }';
const CREATE_OPPORTUNITY = 'mutation($input: CreateOpportunityInput!) { createOpportunity(input: $input) { id } }';
const HOLD = 'mutation($customerId: ID!, $holdId: ID!) { _holdCustomerInSales(customerId: $customerId, holdId: $holdId) }';
const DELETE_ORDER = 'mutation($id: ID!) { deleteOrder(id: $id) }';

const orderFor = (customerId: string, status = 'DRAFT') => ({ input: { customerId, status, items: [{ productId, quantity: 2 }] } });
const opportunityFor = (customerId: string) => ({ input: { customerId, name: 'Renewal', amount: { amount: '500.00', currency: 'USD' }, probability: 40, expectedCloseDate: '2030-01-31' } });
const newOrder = async (customerId: string, status = 'DRAFT') => (await run(CREATE_ORDER, orderFor(customerId, status))).createOrder.id as string;

describe('orders and deals write their events in the transaction of the change', () => {
  it('createOrder writes order.created with the order; a refused one writes nothing anywhere', async () => {
    const customerId = await realCustomer();
    const id = await newOrder(customerId, 'PLACED');
    const [created] = await eventsOf(id);
    expect(created).toMatchObject({ type: 'order.created', sequence: 1, data: { customerId, status: 'PLACED', currency: 'USD', totalMinor: '2000' } });
    expect(created.data.placedAt).toEqual(expect.any(String));

    const before = await platform.rowCounts();
    const unknown = randomUUID();
    expect(expectError(await salesGql(CREATE_ORDER, orderFor(unknown)), 'BAD_USER_INPUT', 'input.customerId')).toBe(`input.customerId: customer ${unknown} does not exist`);
    expect(await platform.rowCounts()).toEqual(before);
  });

  it('a status change writes order.status-changed with the previous status; a refused move writes none', async () => {
    const id = await newOrder(await realCustomer());
    await run(`mutation { updateOrderStatus(id: "${id}", status: PLACED) { id } }`);
    const before = await platform.rowCounts();
    expectError(await salesGql(`mutation { updateOrderStatus(id: "${id}", status: DRAFT) { id } }`), 'BAD_USER_INPUT', 'status');
    expect(await platform.rowCounts()).toEqual(before);
    const events = await eventsOf(id);
    expect(events.map((event) => event.type)).toEqual(['order.created', 'order.status-changed']);
    expect(events[1].data).toMatchObject({ status: 'PLACED', previousStatus: 'DRAFT', totalMinor: '2000' });
  });

  it('deals write opportunity.created, opportunity.stage-changed only when the stage changes, and opportunity.deleted', async () => {
    const customerId = await realCustomer();
    const id = (await run(CREATE_OPPORTUNITY, opportunityFor(customerId))).createOpportunity.id;
    await run(`mutation { updateOpportunity(id: "${id}", input: { name: "Bigger renewal" }) { id } }`);
    await run(`mutation { updateOpportunity(id: "${id}", input: { stage: PROPOSAL }) { id } }`);
    await run(`mutation { updateOpportunity(id: "${id}", input: { stage: PROPOSAL, probability: 60 }) { id } }`);
    await run(`mutation { deleteOpportunity(id: "${id}") }`);
    const events = await eventsOf(id);
    expect(events.map((event) => [event.type, event.sequence])).toEqual([
      ['opportunity.created', 1],
      ['opportunity.stage-changed', 2],
      ['opportunity.deleted', 3],
    ]);
    expect(events[0].data).toEqual({ customerId, stage: 'PROSPECTING', previousStage: null, amountMinor: '50000', currency: 'USD', ownerId: null });
    expect(events[1].data).toMatchObject({ stage: 'PROPOSAL', previousStage: 'PROSPECTING' });
    expect(events[2].data).toEqual({ customerId });
  });
});

describe('the customers sales knows, kept from customer events', () => {
  it('applies state events in sequence order and ignores older state that arrives late', async () => {
    // Known to sales only through its events: the order below is checked without asking the customer service.
    const customerId = randomUUID();
    await customerEvent('customer.created', customerId, 1, STATE);
    await newOrder(customerId);
    await customerEvent('customer.archived', customerId, 3, { ...STATE, archived: true });
    await customerEvent('customer.updated', customerId, 2, { ...STATE, status: 'ACTIVE' });
    expect(await knownCustomer(customerId)).toMatchObject({ archived: true, status: 'LEAD', sequence: 3 });
    const before = await platform.rowCounts();
    expect(expectError(await salesGql(CREATE_ORDER, orderFor(customerId)), 'BAD_USER_INPUT', 'input.customerId')).toBe(`input.customerId: customer ${customerId} is archived`);
    expect(expectError(await salesGql(CREATE_OPPORTUNITY, opportunityFor(customerId)), 'BAD_USER_INPUT', 'input.customerId')).toBe(`input.customerId: customer ${customerId} is archived`);
    expect(await platform.rowCounts()).toEqual(before);
    await customerEvent('customer.restored', customerId, 4, STATE);
    await newOrder(customerId);
  });

  it('asks the customer service about a customer it has not heard of, keeping the answer only with a write', async () => {
    const archived = await realCustomer();
    expectNoErrors(await platform.subgraphGql('customer', 'mutation($id: ID!) { archiveCustomer(id: $id) { id } }', { id: archived }));
    const active = await realCustomer();
    // As if the customers' events had not arrived yet.
    await platform.settled();
    await platform.sql('sales', 'DELETE FROM "KnownCustomer" WHERE id = ANY($1::uuid[])', [[archived, active]]);

    const before = await platform.rowCounts();
    expect(expectError(await salesGql(CREATE_ORDER, orderFor(archived)), 'BAD_USER_INPUT', 'input.customerId')).toBe(`input.customerId: customer ${archived} is archived`);
    expect(await platform.rowCounts()).toEqual(before);
    expect(await knownCustomer(archived)).toBeUndefined();

    await newOrder(active);
    expect(await knownCustomer(active)).toMatchObject({ archived: false, deleted: false, sequence: 0, status: 'LEAD' });
  });

  it('a deleted customer stays deleted, and a deletion that arrives first leaves a tombstone the customer service cannot undo', async () => {
    const known = randomUUID();
    await customerEvent('customer.created', known, 1, STATE);
    await customerEvent('customer.deleted', known, 3, { holdId: randomUUID() });
    await customerEvent('customer.updated', known, 4, STATE);
    expect(await knownCustomer(known)).toMatchObject({ deleted: true, deletionHoldId: null });
    expect(expectError(await salesGql(CREATE_ORDER, orderFor(known)), 'BAD_USER_INPUT', 'input.customerId')).toBe(`input.customerId: customer ${known} does not exist`);

    // The customer service still answers for this one; the tombstone keeps sales from reading it back in.
    const unseen = await realCustomer();
    await customerEvent('customer.deleted', unseen, 5, { holdId: randomUUID() });
    await customerEvent('customer.created', unseen, 1, STATE);
    const before = await platform.rowCounts();
    expect(expectError(await salesGql(CREATE_ORDER, orderFor(unseen)), 'BAD_USER_INPUT', 'input.customerId')).toBe(`input.customerId: customer ${unseen} does not exist`);
    expect(await platform.rowCounts()).toEqual(before);
    expect(await knownCustomer(unseen)).toMatchObject({ deleted: true });
  });

  it('an erased customer takes no new orders or deals, and sales reports its part of the erasure once', async () => {
    const customerId = randomUUID();
    await customerEvent('customer.created', customerId, 1, STATE);
    const orderId = await newOrder(customerId);
    const eventId = randomUUID();
    expect(await customerEvent('customer.erased', customerId, 2, { requestedAt: new Date().toISOString() }, eventId)).toBe(true);
    expect(await customerEvent('customer.erased', customerId, 2, { requestedAt: new Date().toISOString() }, eventId)).toBe(false);
    expect(await knownCustomer(customerId)).toMatchObject({ erased: true });
    expect(await eventsOf(customerId)).toEqual([{ type: 'customer-erasure.completed', sequence: 1, data: { customerId, service: 'sales' } }]);
    expect(expectError(await salesGql(CREATE_ORDER, orderFor(customerId)), 'BAD_USER_INPUT', 'input.customerId')).toBe(`input.customerId: customer ${customerId} has been erased`);
    expectError(await salesGql(CREATE_OPPORTUNITY, opportunityFor(customerId)), 'BAD_USER_INPUT', 'input.customerId');
    // Orders keep their money and dates for revenue.
    expect((await run(`{ order(id: "${orderId}") { total { amount } } }`)).order).toEqual({ total: { amount: '20.00' } });
  });
});

describe('_holdCustomerInSales', () => {
  it('refuses while the customer has orders or deals, answering how many, and changes nothing', async () => {
    const customerId = await realCustomer();
    await newOrder(customerId);
    await newOrder(customerId, 'PLACED');
    await run(CREATE_OPPORTUNITY, opportunityFor(customerId));
    const before = await platform.rowCounts();
    const held = await asCustomerService(HOLD, { customerId, holdId: randomUUID() });
    expectNoErrors(held);
    expect(held.body.data).toEqual({ _holdCustomerInSales: ['2 orders', '1 opportunity'] });
    expect(await platform.rowCounts()).toEqual(before);
    expect(await knownCustomer(customerId)).toMatchObject({ deletionHoldId: null });
  });

  it('holds a customer without orders or deals: new ones are refused as being deleted until that hold is released', async () => {
    const customerId = await realCustomer();
    const holdId = randomUUID();
    const held = await asCustomerService(HOLD, { customerId, holdId });
    expectNoErrors(held);
    expect(held.body.data).toEqual({ _holdCustomerInSales: [] });
    expect(await knownCustomer(customerId)).toMatchObject({ deletionHoldId: holdId });

    const before = await platform.rowCounts();
    expect(expectError(await salesGql(CREATE_ORDER, orderFor(customerId)), 'BAD_USER_INPUT', 'input.customerId')).toBe(`input.customerId: customer ${customerId} is being deleted`);
    expect(expectError(await salesGql(CREATE_OPPORTUNITY, opportunityFor(customerId)), 'BAD_USER_INPUT', 'input.customerId')).toBe(`input.customerId: customer ${customerId} is being deleted`);
    expect(await platform.rowCounts()).toEqual(before);

    // Only the cancellation of this hold releases it (not one of an earlier, abandoned deletion).
    await customerEvent('customer.deletion-cancelled', customerId, 90, { holdId: randomUUID() });
    expect(await knownCustomer(customerId)).toMatchObject({ deletionHoldId: holdId });
    await customerEvent('customer.deletion-cancelled', customerId, 91, { holdId });
    expect(await knownCustomer(customerId)).toMatchObject({ deletionHoldId: null });
    await newOrder(customerId);
  });

  it('refuses a hold whose deletion was already cancelled (a hold that arrives late would never be released)', async () => {
    const customerId = await realCustomer();
    const holdId = randomUUID();
    await customerEvent('customer.deletion-cancelled', customerId, 92, { holdId });
    expectError(await asCustomerService(HOLD, { customerId, holdId }), 'CONFLICT', 'holdId');
    expect(await knownCustomer(customerId)).toMatchObject({ deletionHoldId: null });
    await newOrder(customerId);
  });

  it('is for services only', async () => {
    const response = await salesGql(HOLD, { customerId: randomUUID(), holdId: randomUUID() });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    expectError(await asCustomerService(HOLD, { customerId: 'nope', holdId: randomUUID() }), 'BAD_USER_INPUT', 'customerId');
  });
});

describe('deleteOrder', () => {
  it('deletes a draft order and writes order.deleted with its hold', async () => {
    const customerId = await realCustomer();
    const id = await newOrder(customerId);
    await platform.settled();
    expect((await run(DELETE_ORDER, { id })).deleteOrder).toBe(id);
    const events = await eventsOf(id);
    expect(events.map((event) => event.type)).toEqual(['order.created', 'order.deleted']);
    expect(events[1].data).toEqual({ customerId, holdId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(await platform.sql('sales', 'SELECT id FROM "Order" WHERE id = $1', [id])).toEqual([]);
  });

  it('refuses a placed order and changes nothing', async () => {
    const id = await newOrder(await realCustomer(), 'PLACED');
    const before = await platform.rowCounts();
    expect(expectError(await salesGql(DELETE_ORDER, { id }), 'CONFLICT', 'id')).toBe(`id: Order ${id} is PLACED; only DRAFT and CANCELLED orders can be deleted`);
    expect(await platform.rowCounts()).toEqual(before);
  });

  it('refuses an order a campaign is credited with, releasing its hold without an event', async () => {
    const customerId = await realCustomer();
    const id = await newOrder(customerId);
    const campaign = await platform.subgraphGql('marketing', 'mutation { createCampaign(input: { name: "Spring", channel: EMAIL, budget: { amount: "100.00", currency: "USD" } }) { id } }');
    expectNoErrors(campaign);
    await platform.settled();
    expectNoErrors(await platform.subgraphGql('marketing', `mutation { attributeOrder(campaignId: "${campaign.body.data!.createCampaign.id}", orderId: "${id}") { id } }`));
    await platform.settled();
    expect(expectError(await salesGql(DELETE_ORDER, { id }), 'CONFLICT', 'id')).toBe(`id: Order ${id} is attributed to 1 campaign; remove the attributions first`);
    const [order] = await platform.sql<{ deletionHoldId: string | null }>('sales', 'SELECT "deletionHoldId"::text FROM "Order" WHERE id = $1', [id]);
    expect(order).toEqual({ deletionHoldId: null });
    // Marketing refused and rolled its hold back, so there is no hold to announce the end of.
    expect((await eventsOf(id)).map((event) => event.type)).toEqual(['order.created']);
    expect(await platform.sql('marketing', 'SELECT "deletionHoldId" FROM "OrderFact" WHERE "orderId" = $1', [id])).toEqual([{ deletionHoldId: null }]);
  });

  it('a hold a process left behind is released after a minute', async () => {
    const stale = await newOrder(await realCustomer());
    const fresh = await newOrder(await realCustomer());
    const [staleHold, freshHold] = [randomUUID(), randomUUID()];
    // The column holds UTC, as Prisma writes it.
    await platform.sql('sales', `UPDATE "Order" SET "deletionHoldId" = $2, "deletionStartedAt" = (now() AT TIME ZONE 'UTC') - interval '2 minutes' WHERE id = $1`, [stale, staleHold]);
    await platform.sql('sales', `UPDATE "Order" SET "deletionHoldId" = $2, "deletionStartedAt" = now() AT TIME ZONE 'UTC' WHERE id = $1`, [fresh, freshHold]);
    await cancelStaleOrderDeletions(database.prisma);
    const holds = await platform.sql<{ id: string; deletionHoldId: string | null }>('sales', 'SELECT id::text, "deletionHoldId"::text FROM "Order" WHERE id = ANY($1::uuid[]) ORDER BY id', [[stale, fresh]]);
    expect(Object.fromEntries(holds.map((row) => [row.id, row.deletionHoldId]))).toEqual({ [stale]: null, [fresh]: freshHold });
    expect((await eventsOf(stale)).map((event) => [event.type, event.data.holdId ?? null])).toEqual([
      ['order.created', null],
      ['order.deletion-cancelled', staleHold],
    ]);
  });
});

// Last: the customer subgraph does not come back.
describe('while the customer service is down', () => {
  it('takes orders and deals for customers sales knows, and refuses only those it would have to ask about', async () => {
    const known = await realCustomer();
    await newOrder(known);
    await platform.settled();
    await platform.subgraphs.customer.stop();

    const id = await newOrder(known, 'PLACED');
    expect((await eventsOf(id)).map((event) => event.type)).toEqual(['order.created']);
    await run(CREATE_OPPORTUNITY, opportunityFor(known));

    const orders = async () => (await platform.sql<{ count: number }>('sales', 'SELECT count(*)::int AS count FROM "Order"'))[0].count;
    const before = await orders();
    const unknown = await salesGql(CREATE_ORDER, orderFor(randomUUID()));
    expect(unknown.body.errors?.[0]?.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', service: 'customer' });
    expect(await orders()).toBe(before);
  });
});
