import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { createClient as createWsClient } from 'graphql-ws';
import { expectNoErrors, startTestPlatform, type Caller, type TestPlatform } from './harness';
import { mintDevelopmentToken } from '../gateway/src/authentication';
import { requestsAnswered } from './process-platform';
import {
  disposeAllSubscriptions,
  failureOf,
  payloadOf,
  rawSseSubscriber,
  subscribe,
  tokenFor,
  untilLive,
  untilRead,
  type Collector,
  type Marker,
  type SubscriptionResult,
  type Transport,
} from './subscription-clients';

// Subscriptions through the real gateway with the real graphql-ws and graphql-sse clients, on
// the in-process platform (NATS when it answers, the in-process broker otherwise).

let platform: TestPlatform;
let productId: string;
let campaignId: string;
let otherCampaignId: string;
// A customer with an order, a segment and a campaign membership: its events read all three subgraphs.
let customerId: string;
const EMAIL = 'ada@subscriptions.test';

const TRANSPORTS: Transport[] = ['ws', 'sse'];

async function mutate(query: string, variables?: Record<string, unknown>, as: Caller = 'admin'): Promise<Record<string, any>> {
  const response = await platform.gql(query, variables, as);
  expectNoErrors(response);
  return response.body.data!;
}

const createCustomer = async (name: string, extra: Record<string, unknown> = {}) =>
  (await mutate('mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', { input: { name, ...extra } })).createCustomer.id as string;
const updateCustomer = (id: string, input: Record<string, unknown>) => mutate('mutation ($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { id } }', { id, input });
const archiveCustomer = (id: string) => mutate('mutation ($id: ID!) { archiveCustomer(id: $id) { id } }', { id });
const restoreCustomer = (id: string) => mutate('mutation ($id: ID!) { restoreCustomer(id: $id) { id } }', { id });
const createOrder = async (customer: string, status: 'PLACED' | 'DRAFT' = 'PLACED') =>
  (await mutate('mutation ($input: CreateOrderInput!) { createOrder(input: $input) { id } }', { input: { customerId: customer, items: [{ productId, quantity: 2 }], status } })).createOrder.id as string;
const createOpportunity = async (customer: string, ownerId: string | null = null) =>
  (
    await mutate('mutation ($input: CreateOpportunityInput!) { createOpportunity(input: $input) { id } }', {
      input: { customerId: customer, name: 'Renewal', amount: { amount: '500.00', currency: 'USD' }, probability: 40, expectedCloseDate: '2030-06-30', ownerId },
    })
  ).createOpportunity.id as string;
const moveOpportunity = (id: string, stage: string) => mutate('mutation ($id: ID!, $input: UpdateOpportunityInput!) { updateOpportunity(id: $id, input: $input) { id } }', { id, input: { stage } });
const recordResponse = async (campaign: string, customer: string, type = 'CLICKED') =>
  (await mutate('mutation ($input: RecordResponseInput!) { recordCampaignResponse(input: $input) { id } }', { input: { campaignId: campaign, customerId: customer, type } }, 'marketing'))
    .recordCampaignResponse.id as string;
const addMember = (campaign: string, customer: string) =>
  mutate('mutation ($campaignId: ID!, $ids: [ID!]!) { addCampaignMembers(campaignId: $campaignId, customerIds: $ids) { id } }', { campaignId: campaign, ids: [customer] }, 'marketing');

// Entities that marker events are about: the results they cause are left out of what a test counts.
const markerIds = new Set<string>();

// A marker event for each field (of the subscriptions the arguments name), and how to know its result.
const markers = {
  customerChanged: async () => {
    const id = await createCustomer('Marker');
    markerIds.add(id);
    return (result: SubscriptionResult) => payloadOf(result)?.customerId === id;
  },
  orderPlaced: (customer: string) => async () => {
    const id = await createOrder(customer);
    markerIds.add(id);
    return (result: SubscriptionResult) => payloadOf(result)?.orderId === id;
  },
  opportunityStageChanged: (ownerId: string | null) => async () => {
    const id = await createOpportunity(customerId, ownerId);
    markerIds.add(id);
    return (result: SubscriptionResult) => payloadOf(result)?.opportunityId === id;
  },
  campaignResponseRecorded: (campaign: string) => async () => {
    const id = await recordResponse(campaign, customerId, 'OPENED');
    markerIds.add(id);
    return (result: SubscriptionResult) => payloadOf(result)?.responseId === id;
  },
} satisfies Record<string, Marker | ((...args: any[]) => Marker)>;

// What a collector received from `from` up to the result the fence matches, marker events left out.
async function receivedUntil(collector: Collector, from: number, fence: (result: SubscriptionResult) => boolean): Promise<SubscriptionResult[]> {
  const end = await collector.waitForMatch(fence, 'the closing marker event', { from });
  return collector.results.slice(from, end).filter((result) => !markerIds.has(subjectOf(result) ?? ''));
}

// The entity an event is about: what tells a marker's results apart.
function subjectOf(result: SubscriptionResult): string | undefined {
  const payload = payloadOf(result);
  return payload?.orderId ?? payload?.opportunityId ?? payload?.responseId ?? payload?.customerId;
}

// Each update changes the name, so each one is a change and has an event.
let renames = 0;
const newName = (name: string) => `${name} (${++renames})`;

const open = (transport: Transport, query: string, token: string | null, extra: { variables?: Record<string, unknown>; lastEventId?: string; extensions?: Record<string, unknown> } = {}) =>
  subscribe(transport, platform.gatewayUrl, { query, token, ...extra });

const openAs = async (transport: Transport, query: string, as: Caller = 'admin', extra: Parameters<typeof open>[3] = {}) => open(transport, query, await tokenFor(as), extra);

beforeAll(async () => {
  platform = await startTestPlatform();
  productId = (await mutate('mutation { createProduct(input: { sku: "SUB-1", name: "Subscription", price: { amount: "10.00", currency: "USD" } }) { id } }')).createProduct.id;
  await mutate('mutation { createSegment(input: { name: "VIP", rules: { tagsAny: ["vip"] } }) { id } }', undefined, 'marketing');
  campaignId = (await mutate('mutation { createCampaign(input: { name: "Spring", channel: EMAIL, budget: { amount: "100.00", currency: "USD" } }) { id } }', undefined, 'marketing')).createCampaign.id;
  otherCampaignId = (await mutate('mutation { createCampaign(input: { name: "Autumn", channel: EMAIL, budget: { amount: "100.00", currency: "USD" } }) { id } }', undefined, 'marketing')).createCampaign.id;
  customerId = await createCustomer('Ada', { email: EMAIL, tags: ['vip'] });
  await createOrder(customerId);
  await platform.settled();
  // Marketing learns of the customer from its events; a member needs a known customer.
  await addMember(campaignId, customerId);
  await addMember(otherCampaignId, customerId);
}, 180_000);

afterEach(async () => {
  await disposeAllSubscriptions();
});

afterAll(async () => {
  await disposeAllSubscriptions();
  await platform?.stop();
});

describe.each(TRANSPORTS)('over %s, a mutation on each subgraph reaches subscribers with fields from all three', (transport) => {
  test('customerChanged after updateCustomer', async () => {
    const subscriber = await openAs(
      transport,
      `subscription { customerChanged { eventId kind customerId customer { name email orders(first: 5) { nodes { id } } lifetimeValue { amount currency } segments { name } } } }`,
    );
    const [from] = await untilLive([subscriber], markers.customerChanged);
    const name = newName('Ada');
    await updateCustomer(customerId, { name });
    const index = await subscriber.waitForMatch((result) => payloadOf(result)?.customerId === customerId, 'the update of Ada', { from });
    const result = subscriber.results[index];
    expect(result.errors).toBeUndefined();
    // What a query reads now, nothing having changed since the event.
    const { orders, lifetimeValue } = (await mutate('query ($id: ID!) { customer(id: $id) { orders(first: 5) { nodes { id } } lifetimeValue { amount currency } } }', { id: customerId })).customer;
    expect(result.data!.customerChanged).toEqual({
      eventId: result.extensions!.eventId,
      kind: 'UPDATED',
      customerId,
      customer: { name, email: EMAIL, orders, lifetimeValue, segments: [{ name: 'VIP' }] },
    });
    expect(orders.nodes.length).toBeGreaterThan(0);
    expect(lifetimeValue).toEqual([{ amount: expect.any(String), currency: 'USD' }]);
    expect(typeof result.extensions!.eventId).toBe('string');
  });

  test('orderPlaced after createOrder with status PLACED', async () => {
    const subscriber = await openAs(
      transport,
      `subscription { orderPlaced { eventId orderId customerId order { status total { amount currency } customer { name segments { name } } } } }`,
    );
    const [from] = await untilLive([subscriber], markers.orderPlaced(customerId));
    const orderId = await createOrder(customerId);
    const index = await subscriber.waitForMatch((result) => payloadOf(result)?.orderId === orderId, 'the placed order', { from });
    const result = subscriber.results[index];
    expect(result.errors).toBeUndefined();
    expect(result.data!.orderPlaced).toEqual({
      eventId: result.extensions!.eventId,
      orderId,
      customerId,
      order: { status: 'PLACED', total: { amount: '20.00', currency: 'USD' }, customer: { name: expect.any(String), segments: [{ name: 'VIP' }] } },
    });
  });

  test('opportunityStageChanged after a stage change', async () => {
    const subscriber = await openAs(
      transport,
      `subscription { opportunityStageChanged { eventId opportunityId stage previousStage opportunity { name stage amount { amount } customer { name segments { name } } } } }`,
    );
    const [from] = await untilLive([subscriber], markers.opportunityStageChanged(null));
    const opportunityId = await createOpportunity(customerId);
    await moveOpportunity(opportunityId, 'PROPOSAL');
    const index = await subscriber.waitForMatch((result) => payloadOf(result)?.opportunityId === opportunityId && payloadOf(result)?.stage === 'PROPOSAL', 'the stage change', { from });
    const result = subscriber.results[index];
    expect(result.errors).toBeUndefined();
    expect(result.data!.opportunityStageChanged).toEqual({
      eventId: result.extensions!.eventId,
      opportunityId,
      stage: 'PROPOSAL',
      previousStage: 'PROSPECTING',
      opportunity: { name: 'Renewal', stage: 'PROPOSAL', amount: { amount: '500.00' }, customer: { name: expect.any(String), segments: [{ name: 'VIP' }] } },
    });
    // Its creation came first, as a change into its first stage.
    expect(subscriber.results.slice(from, index).map(payloadOf).filter((payload) => payload?.opportunityId === opportunityId)).toEqual([
      expect.objectContaining({ stage: 'PROSPECTING', previousStage: null }),
    ]);
  });

  test('campaignResponseRecorded after recordCampaignResponse', async () => {
    const subscriber = await openAs(
      transport,
      `subscription { campaignResponseRecorded { eventId responseId type campaignId customerId campaign { name } customer { name lifetimeValue { amount } segments { name } } } }`,
    );
    const [from] = await untilLive([subscriber], markers.campaignResponseRecorded(campaignId));
    const responseId = await recordResponse(campaignId, customerId, 'REPLIED');
    const index = await subscriber.waitForMatch((result) => payloadOf(result)?.responseId === responseId, 'the response', { from });
    const result = subscriber.results[index];
    expect(result.errors).toBeUndefined();
    expect(result.data!.campaignResponseRecorded).toEqual({
      eventId: result.extensions!.eventId,
      responseId,
      type: 'REPLIED',
      campaignId,
      customerId,
      campaign: { name: 'Spring' },
      customer: { name: expect.any(String), lifetimeValue: [{ amount: expect.any(String) }], segments: [{ name: 'VIP' }] },
    });
  });
});

describe.each(TRANSPORTS)('over %s, roles apply to each event', (transport) => {
  test('a VIEWER gets email null with FORBIDDEN in the same message, an ADMIN gets the email', async () => {
    const query = 'subscription { customerChanged { eventId customerId customer { name email } } }';
    const viewer = await openAs(transport, query, 'viewer');
    const admin = await openAs(transport, query, 'admin');
    const [viewerFrom, adminFrom] = await untilLive([viewer, admin], markers.customerChanged);
    const name = newName('Ada, seen by roles');
    await updateCustomer(customerId, { name });
    const isAda = (result: SubscriptionResult) => payloadOf(result)?.customerId === customerId;
    const viewed = viewer.results[await viewer.waitForMatch(isAda, 'the update', { from: viewerFrom })];
    const adminResult = admin.results[await admin.waitForMatch(isAda, 'the update', { from: adminFrom })];
    expect(viewed.data!.customerChanged.customer).toEqual({ name, email: null });
    expect(viewed.errors).toEqual([expect.objectContaining({ path: ['customerChanged', 'customer', 'email'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);
    expect(adminResult.data!.customerChanged.customer).toEqual({ name, email: EMAIL });
    expect(adminResult.errors).toBeUndefined();
    // The same event for both.
    expect(viewed.extensions!.eventId).toBe(adminResult.extensions!.eventId);
  });

  test('MARKETING subscribing to orderPlaced is refused with FORBIDDEN before any event', async () => {
    const refused = await openAs(transport, 'subscription { orderPlaced { eventId orderId } }', 'marketing');
    await refused.waitForEnd();
    expect(refused.errorCodes()).toEqual(['FORBIDDEN']);
    expect(refused.results.filter((result) => result.data)).toEqual([]);
  });
});

describe.each(TRANSPORTS)('over %s, arguments filter the events', (transport) => {
  test('customerChanged(ids) and customerChanged(kinds) deliver only matching events', async () => {
    const [watched, other] = [await createCustomer('Watched'), await createCustomer('Other')];
    // Customers in the ids filter whose updates mark where counting starts and ends.
    const fences = [await createCustomer('Fence 1'), await createCustomer('Fence 2'), await createCustomer('Fence 3'), await createCustomer('Fence 4'), await createCustomer('Fence 5'), await createCustomer('Fence 6')];
    fences.forEach((id) => markerIds.add(id));
    let fenceUsed = 0;
    const fenceMark: Marker = async () => {
      const id = fences[fenceUsed++];
      await updateCustomer(id, { name: newName('Fence') });
      return (result) => payloadOf(result)?.customerId === id;
    };
    const archivedMark: Marker = async () => {
      const id = await createCustomer('Archived marker');
      markerIds.add(id);
      await archiveCustomer(id);
      return (result) => payloadOf(result)?.customerId === id;
    };
    const byId = await openAs(transport, 'subscription ($ids: [ID!]) { customerChanged(ids: $ids) { kind customerId } }', 'admin', { variables: { ids: [watched, ...fences] } });
    const byKind = await openAs(transport, 'subscription { customerChanged(kinds: [ARCHIVED]) { kind customerId } }');
    const [idFrom] = await untilLive([byId], fenceMark);
    const [kindFrom] = await untilLive([byKind], archivedMark);

    await updateCustomer(other, { name: newName('Other') });
    await updateCustomer(watched, { name: newName('Watched') });
    await archiveCustomer(other);
    await archiveCustomer(watched);
    await restoreCustomer(watched);

    const idEnd = await fenceMark();
    const kindEnd = await archivedMark();
    expect((await receivedUntil(byId, idFrom, idEnd)).map(payloadOf)).toEqual([
      { kind: 'UPDATED', customerId: watched },
      { kind: 'ARCHIVED', customerId: watched },
      { kind: 'RESTORED', customerId: watched },
    ]);
    expect((await receivedUntil(byKind, kindFrom, kindEnd)).map(payloadOf)).toEqual([
      { kind: 'ARCHIVED', customerId: other },
      { kind: 'ARCHIVED', customerId: watched },
    ]);
  });

  test('orderPlaced(customerId) delivers only that customer\'s placed orders, including a draft once placed', async () => {
    const buyer = await createCustomer('Buyer');
    const subscriber = await openAs(transport, 'subscription ($customerId: ID) { orderPlaced(customerId: $customerId) { orderId customerId order { status } } }', 'admin', { variables: { customerId: buyer } });
    const [from] = await untilLive([subscriber], markers.orderPlaced(buyer));
    await createOrder(customerId);
    const draft = await createOrder(buyer, 'DRAFT');
    await mutate('mutation ($id: ID!) { updateOrderStatus(id: $id, status: PLACED) { id } }', { id: draft });
    const placed = await createOrder(buyer);
    const end = await markers.orderPlaced(buyer)();
    expect((await receivedUntil(subscriber, from, end)).map(payloadOf)).toEqual([
      { orderId: draft, customerId: buyer, order: { status: 'PLACED' } },
      { orderId: placed, customerId: buyer, order: { status: 'PLACED' } },
    ]);
  });

  test('campaignResponseRecorded(campaignId) and opportunityStageChanged(ownerId) deliver only matching events', async () => {
    const responses = await openAs(transport, 'subscription ($campaignId: ID) { campaignResponseRecorded(campaignId: $campaignId) { responseId campaignId type } }', 'admin', {
      variables: { campaignId },
    });
    const deals = await openAs(transport, 'subscription { opportunityStageChanged(ownerId: "owner-filtered") { opportunityId stage ownerId } }');
    const [responsesFrom] = await untilLive([responses], markers.campaignResponseRecorded(campaignId));
    const [dealsFrom] = await untilLive([deals], markers.opportunityStageChanged('owner-filtered'));

    await recordResponse(otherCampaignId, customerId, 'CLICKED');
    const wanted = await recordResponse(campaignId, customerId, 'REGISTERED');
    const othersDeal = await createOpportunity(customerId, 'someone-else');
    await moveOpportunity(othersDeal, 'QUALIFICATION');
    const ownDeal = await createOpportunity(customerId, 'owner-filtered');
    await moveOpportunity(ownDeal, 'NEGOTIATION');

    const responsesEnd = await markers.campaignResponseRecorded(campaignId)();
    const dealsEnd = await markers.opportunityStageChanged('owner-filtered')();
    expect((await receivedUntil(responses, responsesFrom, responsesEnd)).map(payloadOf)).toEqual([{ responseId: wanted, campaignId, type: 'REGISTERED' }]);
    expect((await receivedUntil(deals, dealsFrom, dealsEnd)).map(payloadOf)).toEqual([
      { opportunityId: ownDeal, stage: 'PROSPECTING', ownerId: 'owner-filtered' },
      { opportunityId: ownDeal, stage: 'NEGOTIATION', ownerId: 'owner-filtered' },
    ]);
  });
});

describe('resuming with the last event id', () => {
  const QUERY = 'subscription { customerChanged { eventId kind customerId } }';
  const ways = [
    { transport: 'ws', how: 'the lastEventId connection parameter', resume: (lastEventId: string) => ({ lastEventId }) },
    { transport: 'sse', how: 'the Last-Event-ID header', resume: (lastEventId: string) => ({ lastEventId }) },
    { transport: 'ws', how: 'extensions.lastEventId', resume: (lastEventId: string) => ({ extensions: { lastEventId } }) },
    { transport: 'sse', how: 'extensions.lastEventId', resume: (lastEventId: string) => ({ extensions: { lastEventId } }) },
  ] as const;

  test.each(ways)('over $transport with $how gets exactly the missed events in order, then live ones', async ({ transport, resume }) => {
    const resumed = await createCustomer('Resumed');
    const isResumed = (result: SubscriptionResult) => payloadOf(result)?.customerId === resumed;
    // A witness stays connected throughout: what it sees is what the resumed client must get.
    const witness = await openAs(transport, QUERY);
    const first = await openAs(transport, QUERY);
    const [witnessFrom, firstFrom] = await untilLive([witness, first], markers.customerChanged);

    await updateCustomer(resumed, { name: newName('Resumed') });
    const seen = first.results[await first.waitForMatch(isResumed, 'event 1', { from: firstFrom })];
    const lastEventId = seen.extensions!.eventId!;
    expect(payloadOf(seen)!.eventId).toBe(lastEventId);
    await first.dispose();

    // Missed while disconnected.
    await updateCustomer(resumed, { name: newName('Resumed') });
    await archiveCustomer(resumed);
    const missedUpTo = await witness.waitForMatch((result) => isResumed(result) && payloadOf(result)?.kind === 'ARCHIVED', 'event 3', { from: witnessFrom });

    const again = open(transport, QUERY, await tokenFor('admin'), resume(lastEventId));
    await again.waitFor(2, 'the two missed events');
    await restoreCustomer(resumed);
    const end = await markers.customerChanged();
    const witnessEnd = await witness.waitForMatch(end, 'the closing marker', { from: missedUpTo });
    const againEnd = await again.waitForMatch(end, 'the closing marker');

    const afterFirst = witness.results.findIndex((result) => result.extensions?.eventId === lastEventId);
    expect(afterFirst).toBeGreaterThanOrEqual(0);
    const expected = witness.results.slice(afterFirst + 1, witnessEnd + 1);
    expect(expected.filter(isResumed).map((result) => payloadOf(result)!.kind)).toEqual(['UPDATED', 'ARCHIVED', 'RESTORED']);
    expect(again.results.slice(0, againEnd + 1).map((result) => result.extensions?.eventId)).toEqual(expected.map((result) => result.extensions?.eventId));
    expect(again.results.slice(0, againEnd + 1).map(payloadOf)).toEqual(expected.map(payloadOf));
    expect(again.errorCodes()).toEqual([]);
  });

  test('an SSE next event has its event id on its id: line, where a browser takes Last-Event-ID from', async () => {
    const stream = await rawSseSubscriber(platform.gatewayUrl, (await tokenFor('admin'))!, { query: QUERY });
    try {
      await untilRead(() => stream.received, markers.customerChanged);
      const nexts = stream.messages.filter((message) => message.event === 'next');
      for (const next of nexts) {
        const result = JSON.parse(next.data!) as SubscriptionResult;
        expect(next.id).toBe(result.extensions!.eventId);
        expect(payloadOf(result)!.eventId).toBe(next.id);
      }
    } finally {
      stream.close();
    }
  });

  test.each(TRANSPORTS)('over %s an unknown event id fails with EVENT_REPLAY_UNAVAILABLE', async (transport) => {
    const refused = await openAs(transport, QUERY, 'admin', { lastEventId: randomUUID() });
    await refused.waitForEnd();
    expect(refused.errorCodes()).toEqual(['EVENT_REPLAY_UNAVAILABLE']);
    expect(refused.results.filter((result) => result.data)).toEqual([]);
  });

  test('over ws a subscription sent again on the connection after EVENT_REPLAY_UNAVAILABLE starts from now, and another one is still told', async () => {
    const client = createWsClient({ url: platform.gatewayUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: { authorization: `Bearer ${await tokenFor('admin')}`, lastEventId: randomUUID() } });
    const run = (onNext: (result: { data?: any; errors?: readonly { extensions?: Record<string, unknown> }[] }) => void) =>
      new Promise<void>((resolve, reject) => client.subscribe({ query: 'subscription { customerChanged(kinds: [CREATED]) { customer { name } } }' }, { next: onNext, error: reject, complete: resolve }));
    const subscribers = async () => ((await (await fetch(platform.gatewayUrl.replace('/graphql', '/ready'))).json()) as any).dependencies.events.subscribers as number;
    try {
      const codes: unknown[] = [];
      await run((result) => codes.push(...(result.errors ?? []).map((error) => error.extensions?.code)));
      expect(codes).toEqual(['EVENT_REPLAY_UNAVAILABLE']);
      // Another subscription resuming from the connection's id has missed events too.
      const other: unknown[] = [];
      await new Promise<void>((resolve, reject) =>
        client.subscribe({ query: 'subscription { customerChanged(kinds: [UPDATED]) { eventId } }' }, { next: (result) => other.push(...(result.errors ?? []).map((error) => error.extensions?.code)), error: reject, complete: resolve }),
      );
      expect(other).toEqual(['EVENT_REPLAY_UNAVAILABLE']);
      // At once, within the seconds in which the connection's id applies to resubscriptions.
      const before = await subscribers();
      const results: { data?: any; errors?: readonly unknown[] }[] = [];
      const live = run((result) => {
        results.push(result);
        void client.dispose();
      });
      for (let attempt = 0; attempt < 200 && (await subscribers()) === before; attempt++) await new Promise((resolve) => setTimeout(resolve, 25));
      await mutate('mutation { createCustomer(input: { name: "Fresh start" }) { id } }');
      await live;
      expect(results).toEqual([{ data: { customerChanged: { customer: { name: 'Fresh start' } } }, extensions: expect.anything() }]);
    } finally {
      await client.dispose();
    }
  });
});

describe.each(TRANSPORTS)('over %s, a token that expires', (transport) => {
  test('ends the subscription with UNAUTHENTICATED', async () => {
    const expiring = open(transport, 'subscription { customerChanged { eventId } }', await tokenFor('admin', '4s'));
    await expiring.waitForEnd('the end of the subscription when the token expires');
    const last = expiring.results.at(-1);
    expect(last?.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(failureOf(expiring)).toBe('none');
    if (transport === 'ws') expect((await expiring.waitForClose()).code).toBe(4401);
  });
});

describe.each(TRANSPORTS)('over %s, operation limits apply to subscription documents', (transport) => {
  const nested = (levels: number) => `${'customer { orders { nodes { '.repeat(levels)}id${' } } }'.repeat(levels)}`;
  const aliases = (count: number, field: string) => Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ');
  // Each with the query over HTTP that breaks the same limit: a subscription is refused as it would be.
  const cases = [
    { name: 'too deep', query: `subscription { customerChanged { ${nested(5)} } }`, asQuery: `{ customers { nodes { ${nested(4)} } } }`, code: 'GRAPHQL_VALIDATION_FAILED' },
    { name: 'too many aliases', query: `subscription { customerChanged { ${aliases(31, 'eventId')} } }`, asQuery: `{ ${aliases(31, '__typename')} }`, code: 'GRAPHQL_VALIDATION_FAILED' },
    {
      name: 'too costly',
      query: 'subscription { customerChanged { customer { orders(first: 1000) { nodes { customer { orders(first: 1000) { nodes { id } } } } } } } }',
      asQuery: '{ customers(first: 1000) { nodes { orders(first: 1000) { nodes { id } } } } }',
      code: 'QUERY_TOO_COMPLEX',
    },
    { name: 'too many tokens', query: `subscription { customerChanged { ${'eventId '.repeat(3_001)} } }`, asQuery: `{ ${'__typename '.repeat(3_001)} }`, code: 'GRAPHQL_PARSE_FAILED' },
    { name: 'invalid', query: 'subscription { customerChanged { noSuchField } }', asQuery: '{ customers { noSuchField } }', code: 'GRAPHQL_VALIDATION_FAILED' },
    { name: 'with two root fields', query: 'subscription { customerChanged { eventId } orderPlaced { eventId } }', asQuery: null, code: 'GRAPHQL_VALIDATION_FAILED' },
  ];

  test.each(cases)('$name: refused with $code', async ({ query, asQuery, code }) => {
    if (asQuery) expect([...new Set((await platform.gql(asQuery)).body.errors?.map((error) => error.extensions?.code))]).toEqual([code]);
    const refused = await openAs(transport, query);
    await refused.waitForEnd();
    expect([...new Set(refused.errorCodes())]).toEqual([code]);
    expect(refused.results.filter((result) => result.data)).toEqual([]);
  });

  test('anonymous: refused (a WebSocket at connection, with 4403; SSE with UNAUTHENTICATED)', async () => {
    const refused = open(transport, 'subscription { customerChanged { eventId } }', null);
    await refused.waitForEnd();
    expect(refused.results.filter((result) => result.data)).toEqual([]);
    if (transport === 'ws') expect((await refused.waitForClose()).code).toBe(4403);
    else expect(refused.errorCodes()).toEqual(['UNAUTHENTICATED']);
  });

  test('an invalid token: refused before any subscription', async () => {
    const refused = open(transport, 'subscription { customerChanged { eventId } }', 'not-a-token');
    await refused.waitForEnd();
    expect(refused.results).toEqual([]);
    if (transport === 'ws') expect((await refused.waitForClose()).code).toBe(4403);
    else expect(refused.refusal?.status).toBe(401);
  });
});

describe('subscribers with the same selection, variables and roles share one fetch per event', () => {
  const SELECTION = 'subscription { customerChanged { eventId customerId customer { name orders(first: 5) { totalCount } segments { name } } } }';
  const NO_ENTITIES = 'subscription { customerChanged { eventId customerId } }';

  // Requests each subgraph answered on /graphql while one event reached every subscriber.
  async function requestsPerEvent(subscribers: { query: string; as: Caller; transport: Transport }[]): Promise<Record<string, number>> {
    const collectors = await Promise.all(subscribers.map(({ query, as, transport }) => openAs(transport, query, as)));
    const from = await untilLive(collectors, markers.customerChanged);
    await platform.settled();
    const count = async () => Object.fromEntries(await Promise.all(Object.entries(platform.subgraphUrls).map(async ([name, url]) => [name, await requestsAnswered(url, '/graphql')] as const)));
    const before = await count();
    await updateCustomer(customerId, { name: newName('Ada, shared') });
    const results = await Promise.all(collectors.map((collector, index) => collector.waitForMatch((result) => payloadOf(result)?.customerId === customerId, 'the update', { from: from[index] })));
    await platform.settled();
    const after = await count();
    expect(collectors.map((collector, index) => collector.results[results[index]].errors)).toEqual(collectors.map(() => undefined));
    await Promise.all(collectors.map((collector) => collector.dispose()));
    return Object.fromEntries(Object.keys(after).map((name) => [name, after[name] - before[name]]));
  }

  const minus = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(Object.keys(a).map((name) => [name, a[name] - b[name]]));

  test('1 or 20 subscribers cost the subgraphs the same; two roles at most twice that', async () => {
    // The mutation's own requests, and whatever the subgraphs ask each other when its event arrives.
    const mutationOnly = await requestsPerEvent([{ query: NO_ENTITIES, as: 'admin', transport: 'ws' }]);
    const one = minus(await requestsPerEvent([{ query: SELECTION, as: 'admin', transport: 'ws' }]), mutationOnly);
    const twenty = minus(
      await requestsPerEvent(Array.from({ length: 20 }, (_, index) => ({ query: SELECTION, as: 'admin' as const, transport: TRANSPORTS[index % 2] }))),
      mutationOnly,
    );
    const twoRoles = minus(
      await requestsPerEvent(Array.from({ length: 20 }, (_, index) => ({ query: SELECTION, as: index % 2 ? ('admin' as const) : ('sales' as const), transport: TRANSPORTS[index % 2] }))),
      mutationOnly,
    );
    // The selection reads all three subgraphs.
    expect(Object.values(one).every((requests) => requests > 0)).toBe(true);
    expect(twenty).toEqual(one);
    for (const name of Object.keys(one)) expect(twoRoles[name]).toBeLessThanOrEqual(2 * one[name]);
  });
});


describe('documents and clients that must not cost the gateway or mislead it', () => {
  const sse = async (body: Record<string, unknown>, method = 'POST') => {
    const headers: Record<string, string> = { accept: 'text/event-stream', authorization: `Bearer ${await mintDevelopmentToken('admin', '10m')}` };
    if (method === 'POST') headers['content-type'] = 'application/json';
    const url = method === 'GET' ? `${platform.gatewayUrl}?${new URLSearchParams(Object.entries(body).map(([key, value]) => [key, String(value)]))}` : platform.gatewayUrl;
    return fetch(url, { method, headers, body: method === 'POST' ? JSON.stringify(body) : undefined });
  };
  const firstResult = async (response: Response) => {
    const text = await response.text();
    return JSON.parse(/^data: (.*)$/m.exec(text)![1]);
  };
  const subscribers = async () => ((await (await fetch(platform.gatewayUrl.replace('/graphql', '/ready'))).json()) as any).dependencies.events.subscribers as number;

  test('an SSE client that goes away leaves no subscriber behind', async () => {
    const before = await subscribers();
    const streams = await Promise.all([1, 2, 3].map(() => sse({ query: 'subscription { customerChanged { eventId customer { name } } }' })));
    const readers = streams.map((response) => response.body!.getReader());
    await Promise.all(readers.map((reader) => reader.read()));
    expect(await subscribers()).toBe(before + 3);
    await Promise.all(readers.map((reader) => reader.cancel()));
    for (let attempt = 0; attempt < 100 && (await subscribers()) !== before; attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await subscribers()).toBe(before);
  });

  test('fragments that spread fragments are refused before they become a huge entity query', async () => {
    const spreads = (name: string, times: number) => Array.from({ length: times }, () => `...${name}`).join(' ');
    const query = `subscription { customerChanged { ...P2 } } fragment P2 on CustomerChangedEvent { ${spreads('P1', 40)} } fragment P1 on CustomerChangedEvent { ${spreads('P0', 40)} } fragment P0 on CustomerChangedEvent { customer { id } }`;
    const result = await firstResult(await sse({ query }));
    expect(result.errors.map((error: any) => error.extensions.code)).toEqual(['QUERY_TOO_COMPLEX']);
  });

  test('a root field written twice reads the entity fields of both', async () => {
    const response = await sse({ query: `subscription($ids: [ID!]) { customerChanged(ids: $ids) { kind } customerChanged(ids: $ids) { customer { name } } }`, variables: { ids: [customerId] } });
    const reader = response.body!.getReader();
    let text = '';
    const update = updateCustomer(customerId, { name: 'Twice Written' });
    while (!text.includes('event: next')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    await update;
    const result = JSON.parse(/^data: (.*)$/m.exec(text.slice(text.indexOf('event: next')))![1]);
    expect(result.data.customerChanged).toEqual({ kind: 'UPDATED', customer: { name: 'Twice Written' } });
  });

  test('a root field under @skip with a variable is refused as invalid, not a server error', async () => {
    const response = await sse({ query: 'subscription($skip: Boolean!) { customerChanged @skip(if: $skip) { eventId } }', variables: { skip: false } });
    expect(response.status).toBe(200);
    expect((await firstResult(response)).errors.map((error: any) => error.extensions.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  test('a mutation sent with GET to the event-stream path is refused and writes nothing', async () => {
    const before = await platform.rowCounts();
    const result = await firstResult(await sse({ query: 'mutation { createCustomer(input: { name: "By GET" }) { id } }' }, 'GET'));
    expect(result.errors.map((error: any) => error.extensions.code)).toEqual(['BAD_REQUEST']);
    expect(await platform.rowCounts()).toEqual(before);
  });
});
