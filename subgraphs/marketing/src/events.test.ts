import { randomUUID } from 'node:crypto';
import { IDENTITY_HEADER, InternalIdentitySigner, secretFromEnv } from '../../../lib/auth';
import { connectDatabase, type Database } from '../../../lib/db';
import { EVENT_CATALOG, type EventData, type EventType } from '../../../lib/events/catalog';
import { applyOnce } from '../../../lib/events/consumer';
import type { EventEnvelope } from '../../../lib/events/envelope';
import type { EventDatabase } from '../../../lib/events/relay';
import { expectNoErrors, postGraphQL, startTestPlatform, type GraphQLResponse, type TestPlatform } from '../../../test/harness';
import { marketingOrders } from './analysis';
import { PrismaClient } from './generated/prisma/client';
import { marketingCustomers } from './known-customers';

// Marketing's side of the event backbone: the events its writes put in its outbox, the
// KnownCustomer projection its customer.* consumer keeps, the checks its writes make against
// it (and OrderFact), and the deletion holds the customer and sales services ask it for.

let platform: TestPlatform;
let database: Database<PrismaClient>;
let campaignId: string;

const STATE: EventData<'customer.created'> = { status: 'ACTIVE', kind: 'PERSON', ownerId: 'user-1', archived: false };

function envelope<T extends EventType>(type: T, aggregateId: string, sequence: number, data: EventData<T>): EventEnvelope {
  return { id: randomUUID(), type, version: EVENT_CATALOG[type].version, source: 'test', aggregateType: EVENT_CATALOG[type].aggregateType, aggregateId, sequence, occurredAt: new Date().toISOString(), data };
}

// Applied as the running consumer applies what the broker delivers, in the order given here.
const applyCustomerEvent = (event: EventEnvelope) => applyOnce(database.prisma as unknown as EventDatabase, marketingCustomers, event);
const applyOrderEvent = (event: EventEnvelope) => applyOnce(database.prisma as unknown as EventDatabase, marketingOrders, event);

async function orderFact(customerId: string): Promise<string> {
  const orderId = randomUUID();
  await applyOrderEvent(
    envelope('order.created', orderId, 1, { customerId, status: 'PAID', currency: 'USD', totalMinor: '5000', placedAt: '2026-11-01T10:00:00.000Z', createdAt: '2026-11-01T09:00:00.000Z' }),
  );
  return orderId;
}

const signer = new InternalIdentitySigner(secretFromEnv('INTERNAL_JWT_SECRET'));

// As the customer or sales service calls marketing's internal mutations.
async function asService(query: string, variables: Record<string, unknown>): Promise<GraphQLResponse> {
  return postGraphQL(platform.subgraphs.marketing.url, query, variables, { [IDENTITY_HEADER]: await signer.sign({ kind: 'service', service: 'customer' }) });
}

const HOLD_CUSTOMER = 'mutation ($customerId: ID!, $holdId: ID!) { _holdCustomerInMarketing(customerId: $customerId, holdId: $holdId) }';
const HOLD_ORDER = 'mutation ($orderId: ID!, $holdId: ID!) { _holdOrderInMarketing(orderId: $orderId, holdId: $holdId) }';
const ADD_MEMBERS = 'mutation ($c: ID!, $ids: [ID!]!) { addCampaignMembers(campaignId: $c, customerIds: $ids) { id } }';
const ATTRIBUTE = 'mutation ($c: ID!, $o: ID!) { attributeOrder(campaignId: $c, orderId: $o) { id } }';
const RESPOND = 'mutation ($input: RecordResponseInput!) { recordCampaignResponse(input: $input) { id } }';

async function newCustomer(name = 'Ada'): Promise<string> {
  const created = await platform.gql('mutation ($name: String!) { createCustomer(input: { name: $name, tags: ["vip"], status: ACTIVE }) { id } }', { name });
  expectNoErrors(created);
  return created.body.data!.createCustomer.id;
}

async function run(query: string, variables: Record<string, unknown>) {
  const response = await platform.gql(query, variables);
  expectNoErrors(response);
  return response.body.data!;
}

type OutboxRow = { type: string; aggregateId: string; sequence: number; data: Record<string, unknown> };

const outbox = (type: string, where = 'TRUE', values: unknown[] = []) =>
  platform.sql<OutboxRow>('marketing', `SELECT type, "aggregateId", sequence, data FROM "OutboxEvent" WHERE type = $1 AND ${where} ORDER BY position`, [type, ...values]);

async function expectRefused(query: string, variables: Record<string, unknown>, field: string, message: string) {
  const before = await platform.rowCounts();
  const response = await platform.gql(query, variables);
  expect(response.body.errors?.[0]).toMatchObject({ message: `${field}: ${message}`, extensions: { code: 'BAD_USER_INPUT', field } });
  expect(await platform.rowCounts()).toEqual(before);
}

beforeAll(async () => {
  platform = await startTestPlatform();
  database = connectDatabase(PrismaClient, platform.databaseUrls.marketing);
  const created = await run('mutation { createCampaign(input: { name: "Backbone", channel: EMAIL, status: ACTIVE, budget: { amount: "10", currency: "USD" } }) { id } }', {});
  campaignId = created.createCampaign.id;
}, 120_000);

afterAll(async () => {
  await database?.close();
  await platform?.stop();
});

describe('outbox events of marketing writes', () => {
  it('addCampaignMembers writes campaign-member.added once per member it inserted, never for one already there', async () => {
    const [a, b, c] = [await newCustomer('A'), await newCustomer('B'), await newCustomer('C')];
    await run(ADD_MEMBERS, { c: campaignId, ids: [a, b] });
    await run(ADD_MEMBERS, { c: campaignId, ids: [a, b, c, c] });
    const members = await platform.sql<{ id: string; customerId: string }>('marketing', 'SELECT id::text, "customerId"::text FROM "CampaignMember" WHERE "customerId" = ANY($1::uuid[])', [[a, b, c]]);
    const events = await outbox('campaign-member.added', `data->>'customerId' = ANY($2)`, [[a, b, c]]);
    expect(events.map((event) => event.data.customerId).sort()).toEqual([a, b, c].sort());
    for (const event of events) {
      const member = members.find((row) => row.customerId === event.data.customerId)!;
      expect(event).toMatchObject({ aggregateId: member.id, sequence: 1, data: { campaignId, customerId: member.customerId, status: 'TARGETED' } });
    }
  });

  it('concurrent addCampaignMembers of overlapping customers all succeed, and each member is announced once', async () => {
    const ids = (await platform.sql<{ id: string }>('customer', `INSERT INTO "Customer" ("id", "name", "updatedAt") SELECT gen_random_uuid(), 'Overlap ' || n, now() FROM generate_series(1, 20) AS n RETURNING id::text`)).map((row) => row.id);
    const shuffled = (seed: number) => [...ids].sort((a, b) => ((a.charCodeAt(seed % 30) * 31 + seed) % 97) - ((b.charCodeAt(seed % 30) * 31 + seed) % 97) || a.localeCompare(b));
    const answers = await Promise.all(Array.from({ length: 8 }, (_, n) => platform.gql(ADD_MEMBERS, { c: campaignId, ids: n % 2 ? shuffled(n) : shuffled(n).reverse() })));
    for (const answer of answers) expectNoErrors(answer);
    const events = await outbox('campaign-member.added', `data->>'customerId' = ANY($2)`, [ids]);
    expect(events.map((event) => event.data.customerId).sort()).toEqual([...ids].sort());
  });

  it('addCampaignMembers costs the same statements for 10 customers as for 1,000 read through at once', async () => {
    const statements = async () => Number(/^sql_statements_total\{[^}]*\} (\d+)$/m.exec(await (await fetch(platform.subgraphs.marketing.url.replace('/graphql', '/metrics'))).text())![1]);
    // Written straight to the customer database, so no event announces them and each is read through.
    const ids = (
      await platform.sql<{ id: string }>('customer', `INSERT INTO "Customer" ("id", "name", "updatedAt") SELECT gen_random_uuid(), 'Bulk ' || n, now() FROM generate_series(1, 1010) AS n RETURNING id::text`)
    ).map((row) => row.id);
    // Straight to marketing: what is counted is its statements, and on a busy machine reading
    // 1,000 customers through can take longer than the gateway's 3 s limit.
    const cost = async (customerIds: string[]) => {
      const before = await statements();
      expectNoErrors(await platform.subgraphGql('marketing', ADD_MEMBERS, { c: campaignId, ids: customerIds }));
      return (await statements()) - before;
    };
    expect(await cost(ids.slice(1000))).toBe(await cost(ids.slice(0, 1000)));
    expect(await outbox('campaign-member.added', `data->>'customerId' = ANY($2)`, [ids])).toHaveLength(1010);
    expect(Number((await platform.sql<{ n: string }>('marketing', 'SELECT count(*)::text AS n FROM "KnownCustomer" WHERE id = ANY($1::uuid[]) AND sequence = 0', [ids]))[0].n)).toBe(1010);
  });

  it('status changes, responses, removals and attributions each write their event in the transaction of the change', async () => {
    const customerId = await newCustomer();
    await run(ADD_MEMBERS, { c: campaignId, ids: [customerId] });
    const [{ id: memberId }] = await platform.sql<{ id: string }>('marketing', 'SELECT id::text FROM "CampaignMember" WHERE "customerId" = $1', [customerId]);
    const setStatus = 'mutation ($c: ID!, $cu: ID!, $s: MemberStatus!) { updateCampaignMemberStatus(campaignId: $c, customerId: $cu, status: $s) { status } }';
    await run(setStatus, { c: campaignId, cu: customerId, s: 'SENT' });
    await run(setStatus, { c: campaignId, cu: customerId, s: 'SENT' });
    const { recordCampaignResponse } = await run(RESPOND, { input: { campaignId, customerId, type: 'CLICKED', occurredAt: '2026-11-20T08:00:00.000Z' } });
    const orderId = await orderFact(customerId);
    await run(ATTRIBUTE, { c: campaignId, o: orderId });
    await run(ATTRIBUTE, { c: campaignId, o: orderId });
    const [{ id: attributionId }] = await platform.sql<{ id: string }>('marketing', 'SELECT id::text FROM "OrderAttribution" WHERE "orderId" = $1', [orderId]);
    await run('mutation ($c: ID!, $o: ID!) { removeOrderAttribution(campaignId: $c, orderId: $o) { id } }', { c: campaignId, o: orderId });
    await run('mutation ($c: ID!, $cu: ID!) { removeCampaignMember(campaignId: $c, customerId: $cu) }', { c: campaignId, cu: customerId });

    const ofMember = await platform.sql<OutboxRow>('marketing', `SELECT type, sequence, data FROM "OutboxEvent" WHERE "aggregateId" = $1 ORDER BY position`, [memberId]);
    expect(ofMember).toEqual([
      { type: 'campaign-member.added', sequence: 1, data: { campaignId, customerId, status: 'TARGETED' } },
      { type: 'campaign-member.status-changed', sequence: 2, data: { campaignId, customerId, status: 'SENT' } },
      { type: 'campaign-member.status-changed', sequence: 3, data: { campaignId, customerId, status: 'CLICKED' } },
      { type: 'campaign-member.removed', sequence: 4, data: { campaignId, customerId, status: 'CLICKED' } },
    ]);
    expect(await outbox('campaign-response.recorded', `"aggregateId" = $2`, [recordCampaignResponse.id])).toEqual([
      { type: 'campaign-response.recorded', aggregateId: recordCampaignResponse.id, sequence: 1, data: { campaignId, customerId, type: 'CLICKED', occurredAt: '2026-11-20T08:00:00.000Z' } },
    ]);
    const ofAttribution = await platform.sql<OutboxRow>('marketing', `SELECT type, sequence, data FROM "OutboxEvent" WHERE "aggregateId" = $1 ORDER BY position`, [attributionId]);
    expect(ofAttribution).toEqual([
      { type: 'order-attribution.added', sequence: 1, data: { campaignId, orderId, customerId } },
      { type: 'order-attribution.removed', sequence: 2, data: { campaignId, orderId, customerId } },
    ]);
  });

  it('deleteCampaign removes its members and attributions with an event for each', async () => {
    const { createCampaign } = await run('mutation { createCampaign(input: { name: "Short-lived", channel: SMS, budget: { amount: "1", currency: "USD" } }) { id } }', {});
    const [a, b] = [await newCustomer(), await newCustomer()];
    await run(ADD_MEMBERS, { c: createCampaign.id, ids: [a, b] });
    const orderId = await orderFact(a);
    await run(ATTRIBUTE, { c: createCampaign.id, o: orderId });
    await run('mutation ($id: ID!) { deleteCampaign(id: $id) }', { id: createCampaign.id });
    expect((await outbox('campaign-member.removed', `data->>'campaignId' = $2`, [createCampaign.id])).map((event) => event.data.customerId).sort()).toEqual([a, b].sort());
    expect((await outbox('order-attribution.removed', `data->>'campaignId' = $2`, [createCampaign.id])).map((event) => event.data)).toEqual([{ campaignId: createCampaign.id, orderId, customerId: a }]);
    const notFound = await platform.gql('mutation ($id: ID!) { deleteCampaign(id: $id) }', { id: createCampaign.id });
    expect(notFound.body.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
  });
});

describe('KnownCustomer, from customer events', () => {
  const row = async (id: string) =>
    (await platform.sql('marketing', 'SELECT status, kind, "ownerId", archived, deleted, erased, "deletionHoldId"::text AS "holdId", sequence FROM "KnownCustomer" WHERE id = $1', [id]))[0];

  it('applies newer state only, and nothing after the deletion', async () => {
    const id = randomUUID();
    await applyCustomerEvent(envelope('customer.updated', id, 3, { ...STATE, ownerId: 'newest' }));
    await applyCustomerEvent(envelope('customer.created', id, 1, { ...STATE, ownerId: 'oldest' }));
    expect(await row(id)).toMatchObject({ ownerId: 'newest', sequence: 3, deleted: false });
    await applyCustomerEvent(envelope('customer.archived', id, 4, { ...STATE, archived: true }));
    expect(await row(id)).toMatchObject({ archived: true, ownerId: 'user-1', sequence: 4 });
    await applyCustomerEvent(envelope('customer.deleted', id, 6, { holdId: randomUUID() }));
    await applyCustomerEvent(envelope('customer.restored', id, 5, STATE));
    await applyCustomerEvent(envelope('customer.updated', id, 7, STATE));
    expect(await row(id)).toMatchObject({ deleted: true, archived: true, sequence: 6, holdId: null });
  });

  it('keeps a deleted customer never seen before as a tombstone that refuses it although the customer service still answers for it', async () => {
    const customerId = await newCustomer('Tombstone');
    await platform.settled();
    await platform.sql('marketing', 'DELETE FROM "KnownCustomer" WHERE id = $1', [customerId]);
    await applyCustomerEvent(envelope('customer.deleted', customerId, 9, { holdId: randomUUID() }));
    expect(await row(customerId)).toMatchObject({ deleted: true, status: null, sequence: 9 });
    await expectRefused(ADD_MEMBERS, { c: campaignId, ids: [customerId] }, 'customerIds.0', `customer ${customerId} does not exist`);
  });

  it('reads a customer it has not seen yet through from the customer service, and keeps nothing of it when the write is refused', async () => {
    const [seen, unseen] = [await newCustomer('Seen'), await newCustomer('Unseen')];
    await platform.settled();
    await platform.sql('marketing', 'DELETE FROM "KnownCustomer" WHERE id = ANY($1::uuid[])', [[seen, unseen]]);
    const unknown = randomUUID();
    await expectRefused(ADD_MEMBERS, { c: campaignId, ids: [seen, unknown] }, 'customerIds.1', `customer ${unknown} does not exist`);
    expect(await row(seen)).toBeUndefined();
    await run(ADD_MEMBERS, { c: campaignId, ids: [unseen] });
    expect(await row(unseen)).toMatchObject({ status: 'ACTIVE', kind: 'PERSON', archived: false, deleted: false, sequence: 0 });
    // The customer's own events still apply over the row read through.
    await applyCustomerEvent(envelope('customer.updated', unseen, 1, { ...STATE, ownerId: 'renewal' }));
    expect(await row(unseen)).toMatchObject({ ownerId: 'renewal', sequence: 1 });
  });

  it('customer.erased deletes memberships, responses and analysis, keeps attributions and order facts, and reports completion once', async () => {
    const customerId = await newCustomer('To forget');
    await run(ADD_MEMBERS, { c: campaignId, ids: [customerId] });
    await run(RESPOND, { input: { campaignId, customerId, type: 'OPENED' } });
    const orderId = await orderFact(customerId);
    await run(ATTRIBUTE, { c: campaignId, o: orderId });
    const count = async (table: string) => Number((await platform.sql<{ n: string }>('marketing', `SELECT count(*)::text AS n FROM "${table}" WHERE "customerId" = $1`, [customerId]))[0].n);
    expect(await count('CustomerOrderStatistics')).toBe(1);
    const [{ id: memberId }] = await platform.sql<{ id: string }>('marketing', 'SELECT id::text FROM "CampaignMember" WHERE "customerId" = $1', [customerId]);

    const erased = envelope('customer.erased', customerId, 20, { requestedAt: new Date().toISOString() });
    expect(await applyCustomerEvent(erased)).toBe(true);
    expect({ members: await count('CampaignMember'), responses: await count('CampaignResponse'), statistics: await count('CustomerOrderStatistics') }).toEqual({ members: 0, responses: 0, statistics: 0 });
    expect({ attributions: await count('OrderAttribution'), facts: await count('OrderFact') }).toEqual({ attributions: 1, facts: 1 });
    expect(await row(customerId)).toMatchObject({ erased: true, status: null, kind: null, ownerId: null, sequence: 20 });
    expect(await outbox('customer-erasure.completed', `"aggregateId" = $2`, [customerId])).toEqual([
      { type: 'customer-erasure.completed', aggregateId: customerId, sequence: 1, data: { customerId, service: 'marketing' } },
    ]);
    expect(await outbox('campaign-member.removed', `"aggregateId" = $2`, [memberId])).toHaveLength(1);

    const before = await platform.rowCounts();
    expect(await applyCustomerEvent(erased)).toBe(false);
    expect(await platform.rowCounts()).toEqual(before);
    // Order and state events after the erasure bring back neither analysis nor attributes.
    await applyOrderEvent(envelope('order.status-changed', orderId, 2, { customerId, status: 'FULFILLED', previousStatus: 'PAID', currency: 'USD', totalMinor: '5000', placedAt: '2026-11-01T10:00:00.000Z', createdAt: '2026-11-01T09:00:00.000Z' }));
    expect(await count('CustomerOrderStatistics')).toBe(0);
    await applyCustomerEvent(envelope('customer.updated', customerId, 21, STATE));
    expect(await row(customerId)).toMatchObject({ erased: true, status: null });

    await expectRefused(ADD_MEMBERS, { c: campaignId, ids: [customerId] }, 'customerIds.0', `customer ${customerId} has been erased`);
    const otherOrder = await orderFact(customerId);
    await expectRefused(ATTRIBUTE, { c: campaignId, o: otherOrder }, 'orderId', `customer ${customerId} of order ${otherOrder} has been erased`);
  });
});

describe('deletion holds', () => {
  it('refuses to hold a customer with memberships, responses or attributions, and rolls all of it back', async () => {
    const customerId = await newCustomer('Referenced');
    await run(ADD_MEMBERS, { c: campaignId, ids: [customerId] });
    await run(RESPOND, { input: { campaignId, customerId, type: 'OPENED' } });
    await run(RESPOND, { input: { campaignId, customerId, type: 'CLICKED' } });
    await run(ATTRIBUTE, { c: campaignId, o: await orderFact(customerId) });
    const before = await platform.rowCounts();
    const held = await asService(HOLD_CUSTOMER, { customerId, holdId: randomUUID() });
    expect(held.body).toEqual({ data: { _holdCustomerInMarketing: ['1 campaign membership', '2 campaign responses', '1 order attribution'] } });
    expect(await platform.rowCounts()).toEqual(before);
    expect(await platform.sql('marketing', 'SELECT 1 FROM "KnownCustomer" WHERE id = $1 AND "deletionHoldId" IS NOT NULL', [customerId])).toEqual([]);

    // A customer never seen here leaves no row behind either.
    const unseen = randomUUID();
    await platform.sql('marketing', `INSERT INTO "CampaignResponse" (id, "campaignId", "customerId", type) VALUES (gen_random_uuid(), $1, $2, 'OPENED')`, [campaignId, unseen]);
    expect((await asService(HOLD_CUSTOMER, { customerId: unseen, holdId: randomUUID() })).body.data).toEqual({ _holdCustomerInMarketing: ['1 campaign response'] });
    expect(await platform.sql('marketing', 'SELECT 1 FROM "KnownCustomer" WHERE id = $1', [unseen])).toEqual([]);
  });

  it('holds a customer without references, which refuses every new reference until the deletion is cancelled', async () => {
    const customerId = await newCustomer('Free');
    const orderId = await orderFact(customerId);
    const holdId = randomUUID();
    expect((await asService(HOLD_CUSTOMER, { customerId, holdId })).body).toEqual({ data: { _holdCustomerInMarketing: [] } });
    expect(await platform.sql('marketing', 'SELECT "deletionHoldId"::text AS "holdId" FROM "KnownCustomer" WHERE id = $1', [customerId])).toEqual([{ holdId }]);
    await expectRefused(ADD_MEMBERS, { c: campaignId, ids: [customerId] }, 'customerIds.0', `customer ${customerId} is being deleted`);
    await expectRefused(ATTRIBUTE, { c: campaignId, o: orderId }, 'orderId', `customer ${customerId} of order ${orderId} is being deleted`);

    await applyCustomerEvent(envelope('customer.deletion-cancelled', customerId, 50, { holdId: randomUUID() }));
    await expectRefused(ADD_MEMBERS, { c: campaignId, ids: [customerId] }, 'customerIds.0', `customer ${customerId} is being deleted`);
    await applyCustomerEvent(envelope('customer.deletion-cancelled', customerId, 51, { holdId }));
    await run(ADD_MEMBERS, { c: campaignId, ids: [customerId] });
    await run(ATTRIBUTE, { c: campaignId, o: orderId });
  });

  it('holds a customer never seen here with a row its events fill in later', async () => {
    const customerId = randomUUID();
    const holdId = randomUUID();
    expect((await asService(HOLD_CUSTOMER, { customerId, holdId })).body.data).toEqual({ _holdCustomerInMarketing: [] });
    expect(await platform.sql('marketing', 'SELECT status, "deletionHoldId"::text AS "holdId", sequence FROM "KnownCustomer" WHERE id = $1', [customerId])).toEqual([{ status: null, holdId, sequence: 0 }]);
    await applyCustomerEvent(envelope('customer.created', customerId, 1, STATE));
    expect(await platform.sql('marketing', 'SELECT status, "deletionHoldId"::text AS "holdId" FROM "KnownCustomer" WHERE id = $1', [customerId])).toEqual([{ status: 'ACTIVE', holdId }]);
  });

  it('refuses to hold an attributed order; holds another, which then cannot be attributed until the deletion is cancelled', async () => {
    const customerId = await newCustomer('Buyer');
    const [attributed, free] = [await orderFact(customerId), await orderFact(customerId)];
    await run(ATTRIBUTE, { c: campaignId, o: attributed });
    const before = await platform.rowCounts();
    expect((await asService(HOLD_ORDER, { orderId: attributed, holdId: randomUUID() })).body).toEqual({ data: { _holdOrderInMarketing: ['attributed to 1 campaign'] } });
    expect(await platform.rowCounts()).toEqual(before);
    expect(await platform.sql('marketing', 'SELECT 1 FROM "OrderFact" WHERE "orderId" = $1 AND "deletionHoldId" IS NOT NULL', [attributed])).toEqual([]);

    const holdId = randomUUID();
    expect((await asService(HOLD_ORDER, { orderId: free, holdId })).body).toEqual({ data: { _holdOrderInMarketing: [] } });
    await expectRefused(ATTRIBUTE, { c: campaignId, o: free }, 'orderId', `order ${free} is being deleted`);
    await applyOrderEvent(envelope('order.deletion-cancelled', free, 2, { holdId, customerId }));
    await run(ATTRIBUTE, { c: campaignId, o: free });
  });

  it('refuses a hold whose deletion was cancelled before it arrived, even for an order it had no row of, and however the cancellations interleave', async () => {
    const customerId = await newCustomer('Late hold');
    const unseen = randomUUID();
    const [first, second] = [randomUUID(), randomUUID()];
    // Two cancellations applied in the "wrong" order: both are remembered.
    await applyOrderEvent(envelope('order.deletion-cancelled', unseen, 3, { holdId: second, customerId }));
    await applyOrderEvent(envelope('order.deletion-cancelled', unseen, 2, { holdId: first, customerId }));
    for (const holdId of [first, second]) {
      expect((await asService(HOLD_ORDER, { orderId: unseen, holdId })).body.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'holdId' });
    }
    expect(await platform.sql('marketing', 'SELECT "deletionHoldId" FROM "OrderFact" WHERE "orderId" = $1', [unseen])).toEqual([{ deletionHoldId: null }]);
  });

  it('are internal: a user may not call them, and the gateway does not offer them', async () => {
    const direct = await platform.subgraphGql('marketing', HOLD_CUSTOMER, { customerId: randomUUID(), holdId: randomUUID() });
    expect(direct.body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    const throughGateway = await platform.gql(HOLD_ORDER, { orderId: randomUUID(), holdId: randomUUID() });
    expect(throughGateway.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('orders: attribution checks and campaign reads', () => {
  it('refuses an order marketing knows was deleted, and leaves it out of the campaign for every reader', async () => {
    const customerId = await newCustomer('Reader');
    const { createCampaign } = await run('mutation { createCampaign(input: { name: "Reads", channel: EMAIL, budget: { amount: "1", currency: "USD" } }) { id } }', {});
    const [kept, deleted] = [await orderFact(customerId), await orderFact(customerId)];
    await run(ATTRIBUTE, { c: createCampaign.id, o: kept });
    await run(ATTRIBUTE, { c: createCampaign.id, o: deleted });
    // As if the attribution had been left behind by a deletion from before the holds.
    await applyOrderEvent(envelope('order.deleted', deleted, 3, { holdId: randomUUID(), customerId }));
    for (const as of ['admin', 'viewer'] as const) {
      const read = await platform.gql('query ($id: ID!) { campaign(id: $id) { attributedOrderIds attributedOrders { id } } }', { id: createCampaign.id }, as);
      expectNoErrors(read);
      expect(read.body.data!.campaign).toEqual({ attributedOrderIds: [kept], attributedOrders: [{ id: kept }] });
    }
    // Marketing may not read orders (sales' Order): the field alone is refused, not the campaign.
    const asMarketing = await platform.gql('query ($id: ID!) { campaign(id: $id) { name attributedOrderIds attributedOrders { id } } }', { id: createCampaign.id }, 'marketing');
    expect(asMarketing.body.data!.campaign).toEqual({ name: 'Reads', attributedOrderIds: [kept], attributedOrders: null });
    expect(asMarketing.body.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    const other = (await run('mutation { createCampaign(input: { name: "Other", channel: EMAIL, budget: { amount: "1", currency: "USD" } }) { id } }', {})).createCampaign.id;
    await expectRefused(ATTRIBUTE, { c: other, o: deleted }, 'orderId', `order ${deleted} does not exist`);
    const unknown = randomUUID();
    await expectRefused(ATTRIBUTE, { c: other, o: unknown }, 'orderId', `order ${unknown} does not exist`);
  });
});
