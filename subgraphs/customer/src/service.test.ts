import { connectDatabase, type Database } from '../../../lib/db';
import { expectNoErrors, startTestPlatform, type GraphQLResponse, type TestPlatform } from '../../../test/harness';
import { PrismaClient } from './generated/prisma/client';
import { cancelStaleDeletions } from './service';

let platform: TestPlatform;
let database: Database<PrismaClient>;

beforeAll(async () => {
  platform = await startTestPlatform();
  database = connectDatabase(PrismaClient, platform.databaseUrls.customer);
});
afterAll(async () => {
  await database?.close();
  await platform?.stop();
});

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function customerGql(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse> {
  return platform.subgraphGql('customer', query, variables);
}

async function run(query: string, variables: Record<string, unknown> = {}) {
  const response = await customerGql(query, variables);
  expectNoErrors(response);
  return response.body.data!;
}

function expectError(response: GraphQLResponse, code: string, field: string) {
  expect(response.body.errors?.[0]?.extensions).toMatchObject({ code, field });
  return response.body.errors![0].message;
}

type EventRow = { type: string; sequence: number; data: Record<string, unknown> };
const eventsOf = (aggregateId: string) =>
  platform.sql<EventRow>('customer', 'SELECT "type", "sequence", "data" FROM "OutboxEvent" WHERE "aggregateId" = $1 ORDER BY "sequence"', [aggregateId]);
const outboxSize = async () => (await platform.sql<{ count: number }>('customer', 'SELECT count(*)::int AS count FROM "OutboxEvent"'))[0].count;
const holdOf = async (id: string) =>
  (await platform.sql<{ deletionHoldId: string | null; deletionStartedAt: Date | null }>('customer', 'SELECT "deletionHoldId"::text, "deletionStartedAt" FROM "Customer" WHERE id = $1', [id]))[0];

const createCustomer = 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }';
const newCustomer = async (input: Record<string, unknown>) => (await run(createCustomer, { input })).createCustomer.id as string;
const deleteCustomer = 'mutation($id: ID!) { deleteCustomer(id: $id) }';

describe('customer writes and their events', () => {
  it('writes one event per change in its transaction, numbered in order, without personal data', async () => {
    const id = await newCustomer({ name: 'Ada Lovelace', email: 'ada@example.com', phone: '+44 20 7946 0000', company: 'Analytical', ownerId: 'u-1', tags: ['vip'] });
    await run('mutation($id: ID!) { updateCustomer(id: $id, input: { status: ACTIVE, name: "Ada King" }) { id } }', { id });
    await run('mutation($id: ID!) { archiveCustomer(id: $id) { id } }', { id });
    await run('mutation($id: ID!) { restoreCustomer(id: $id) { id } }', { id });

    const events = await eventsOf(id);
    expect(events.map(({ type, sequence }) => [type, sequence])).toEqual([
      ['customer.created', 1],
      ['customer.updated', 2],
      ['customer.archived', 3],
      ['customer.restored', 4],
    ]);
    expect(events[0].data).toEqual({ status: 'LEAD', kind: 'PERSON', ownerId: 'u-1', archived: false });
    expect(events[1].data).toMatchObject({ status: 'ACTIVE' });
    expect(events[2].data).toMatchObject({ archived: true });
    expect(events[3].data).toEqual({ status: 'ACTIVE', kind: 'PERSON', ownerId: 'u-1', archived: false });
    expect(JSON.stringify(events)).not.toMatch(/Ada|example\.com|7946|Analytical|vip/);
  });

  it('a refused write leaves no event', async () => {
    const id = await newCustomer({ name: 'Taken', email: 'taken@example.com', status: 'ACTIVE' });
    const other = await newCustomer({ name: 'Other' });
    const before = await outboxSize();

    expectError(await customerGql(createCustomer, { input: { name: 'Copy', email: 'TAKEN@example.com' } }), 'CONFLICT', 'input.email');
    expectError(await customerGql('mutation($id: ID!) { updateCustomer(id: $id, input: { email: "taken@example.com" }) { id } }', { id: other }), 'CONFLICT', 'input.email');
    expectError(await customerGql('mutation($id: ID!) { updateCustomer(id: $id, input: { status: LEAD }) { id } }', { id }), 'BAD_USER_INPUT', 'input.status');
    expectError(await customerGql('mutation($id: ID!) { archiveCustomer(id: $id) { id } }', { id: UNKNOWN }), 'NOT_FOUND', 'id');
    expectError(await customerGql('mutation($id: ID!) { updateCustomer(id: $id, input: { name: "X" }) { id } }', { id: UNKNOWN }), 'NOT_FOUND', 'id');

    expect(await outboxSize()).toBe(before);
    expect((await eventsOf(other)).map((event) => event.type)).toEqual(['customer.created']);
  });

  it('contacts and interactions write no events', async () => {
    const id = await newCustomer({ name: 'Quiet' });
    const before = await outboxSize();
    await run('mutation($input: CreateContactInput!) { createContact(input: $input) { id } }', { input: { customerId: id, name: 'Assistant' } });
    await run('mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id } }', { input: { customerId: id, type: 'NOTE', subject: 'Hello' } });
    expect(await outboxSize()).toBe(before);
  });
});

describe('deleteCustomer', () => {
  it('deletes a customer no service holds records of, announcing customer.deleted with its hold', async () => {
    const id = await newCustomer({ name: 'Short-lived' });
    await platform.settled();
    expect((await run(deleteCustomer, { id })).deleteCustomer).toBe(id);
    expect(await platform.sql('customer', 'SELECT id FROM "Customer" WHERE id = $1', [id])).toEqual([]);
    const events = await eventsOf(id);
    expect(events.map((event) => event.type)).toEqual(['customer.created', 'customer.deleted']);
    expect(events[1].data).toEqual({ holdId: expect.stringMatching(UUID) });
  });

  it('refuses while sales holds records, naming them, and releases every hold it placed without an event', async () => {
    const id = await newCustomer({ name: 'Has an order' });
    const product = await platform.subgraphGql('sales', 'mutation { createProduct(input: { sku: "DEL-1", name: "Thing", price: { amount: "10", currency: "USD" } }) { id } }');
    expectNoErrors(product);
    const order = await platform.subgraphGql('sales', 'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }', {
      input: { customerId: id, items: [{ productId: product.body.data!.createProduct.id, quantity: 1 }] },
    });
    expectNoErrors(order);

    const message = expectError(await customerGql(deleteCustomer, { id }), 'CONFLICT', 'id');
    expect(message).toMatch(new RegExp(`^id: Customer ${id} still has 1 orders?; archive it instead$`));
    expect(await holdOf(id)).toEqual({ deletionHoldId: null, deletionStartedAt: null });
    // Marketing's hold was released by a call, so no cancellation event was needed either.
    expect((await eventsOf(id)).map((event) => event.type)).toEqual(['customer.created']);
    await platform.settled();
    expect(await platform.sql('marketing', 'SELECT "deletionHoldId" FROM "KnownCustomer" WHERE id = $1', [id])).toEqual([{ deletionHoldId: null }]);
    expect((await run('query($id: ID!) { customer(id: $id) { name } }', { id })).customer).toEqual({ name: 'Has an order' });
  });

  it('refuses a second deletion while one is in progress, and an unknown customer', async () => {
    const id = await newCustomer({ name: 'Being deleted' });
    await platform.sql('customer', `UPDATE "Customer" SET "deletionHoldId" = gen_random_uuid(), "deletionStartedAt" = now() AT TIME ZONE 'UTC' WHERE id = $1`, [id]);
    const held = await holdOf(id);
    const before = await outboxSize();

    expect(expectError(await customerGql(deleteCustomer, { id }), 'CONFLICT', 'id')).toContain('a deletion of this customer is already in progress');
    expectError(await customerGql(deleteCustomer, { id: UNKNOWN }), 'NOT_FOUND', 'id');
    expect(await holdOf(id)).toEqual(held);
    expect(await outboxSize()).toBe(before);
  });

  it('the sweeper cancels holds older than a minute (a deletion whose process died) and leaves newer ones', async () => {
    const stale = await newCustomer({ name: 'Abandoned deletion' });
    const fresh = await newCustomer({ name: 'Deletion under way' });
    await platform.sql('customer', `UPDATE "Customer" SET "deletionHoldId" = gen_random_uuid(), "deletionStartedAt" = (now() AT TIME ZONE 'UTC') - interval '2 minutes' WHERE id = $1`, [stale]);
    await platform.sql('customer', `UPDATE "Customer" SET "deletionHoldId" = gen_random_uuid(), "deletionStartedAt" = now() AT TIME ZONE 'UTC' WHERE id = $1`, [fresh]);
    const staleHold = (await holdOf(stale)).deletionHoldId;
    const freshHold = await holdOf(fresh);

    expect(await cancelStaleDeletions(database.prisma)).toBe(1);

    expect(await holdOf(stale)).toEqual({ deletionHoldId: null, deletionStartedAt: null });
    expect((await eventsOf(stale)).map(({ type, data }) => [type, data])).toEqual([
      ['customer.created', expect.anything()],
      ['customer.deletion-cancelled', { holdId: staleHold }],
    ]);
    expect(await holdOf(fresh)).toEqual(freshHold);
    expect((await eventsOf(fresh)).map((event) => event.type)).toEqual(['customer.created']);
    expect(await cancelStaleDeletions(database.prisma)).toBe(0);
  });
});
