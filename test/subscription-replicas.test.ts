import { spawnSync } from 'node:child_process';
import { startGateway } from '../gateway/src/server';
import { loadSettings } from '../lib/config';
import type { RunningServer } from '../lib/http-server';
import { expectNoErrors, internalHeaders, postGraphQL, userHeaders } from './harness';
import { startProcessPlatform, waitFor, type ProcessPlatform } from './process-platform';
import {
  disposeAllSubscriptions,
  payloadOf,
  rawSseSubscriber,
  rawWsSubscriber,
  subscribe,
  tokenFor,
  untilLive,
  untilRead,
  type Collector,
  type Marker,
  type SubscriptionResult,
  type Transport,
} from './subscription-clients';

// Two gateway replicas on one NATS stream, the subgraphs as processes of their own so that one
// can be stopped while an event is handled. In-process brokers do not cross processes, so
// without NATS these cannot run; CI insists on it.
const natsUp =
  spawnSync(process.execPath, ['-e', "require('net').connect(4222,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"], { timeout: 5_000 }).status === 0;
const describeWithNats = natsUp || process.env.CI === 'true' ? describe : describe.skip;
if (!natsUp && process.env.CI !== 'true') console.warn('test/subscription-replicas.test.ts skipped: no NATS server at 127.0.0.1:4222');

// A short reset lets the marketing breaker close soon after marketing is back; production
// defaults are in lib/config.ts.
const resilience = Object.fromEntries(['customer', 'sales', 'marketing'].map((name) => [name, { timeoutMs: 10_000, retries: 1, errorThresholdPercentage: 50, volumeThreshold: 3, resetTimeoutMs: 1_000 }]));

let platform: ProcessPlatform;
// The second replica, started beside the platform's own on the same stream.
let replica: RunningServer;
let customerId: string;

const gql = async (url: string, query: string, variables?: Record<string, unknown>) => postGraphQL(url, query, variables, await userHeaders());

async function mutate(query: string, variables?: Record<string, unknown>): Promise<Record<string, any>> {
  const response = await gql(platform.gatewayUrl, query, variables);
  expectNoErrors(response);
  return response.body.data!;
}

const createCustomer = async (name: string) => (await mutate('mutation ($name: String!) { createCustomer(input: { name: $name, tags: ["vip"] }) { id } }', { name })).createCustomer.id as string;
let renames = 0;
const createBulky = async (tags: string[]) => (await mutate('mutation ($tags: [String!]) { createCustomer(input: { name: "Bulky", tags: $tags }) { id } }', { tags })).createCustomer.id as string;
const rename = (id: string) => mutate('mutation ($id: ID!, $name: String!) { updateCustomer(id: $id, input: { name: $name }) { id } }', { id, name: `Renamed ${++renames}` });

const markerIds = new Set<string>();
const customerMarker: Marker = async () => {
  const id = await createCustomer('Marker');
  markerIds.add(id);
  return (result) => payloadOf(result)?.customerId === id;
};
const isCustomer = (result: SubscriptionResult) => payloadOf(result)?.customerId === customerId;

const QUERY = 'subscription { customerChanged { eventId kind customerId customer { name segments { name } } } }';

const subscribersOn = async (gatewayUrl: string) =>
  ((await (await fetch(gatewayUrl.replace(/\/graphql$/, '/ready'))).json()) as { dependencies: { events: { subscribers: number } } }).dependencies.events.subscribers;
const openOn = async (gatewayUrl: string, transport: Transport, extra: { lastEventId?: string } = {}) => subscribe(transport, gatewayUrl, { query: QUERY, token: await tokenFor('admin'), ...extra });

describeWithNats('gateway replicas following one NATS stream (subgraphs as processes)', () => {
  beforeAll(async () => {
    platform = await startProcessPlatform({ gateway: { resilience } });
    expect(platform.eventBroker.kind).toBe('nats');
    replica = await startGateway({ port: 0, subgraphUrls: platform.subgraphUrls, resilience, settings: loadSettings({ ...process.env, ...platform.eventBroker.environment }) });
    expectNoErrors(await postGraphQL(platform.subgraphUrls.marketing, 'mutation { createSegment(input: { name: "VIP", rules: { tagsAny: ["vip"] } }) { id } }', undefined, await internalHeaders()));
    customerId = await createCustomer('Replicated');
  }, 300_000);

  afterEach(async () => {
    await disposeAllSubscriptions();
  });

  afterAll(async () => {
    await disposeAllSubscriptions();
    await replica?.stop();
    await platform?.stop();
  });

  test('each replica delivers an event to its own subscribers', async () => {
    const onA = [await openOn(platform.gatewayUrl, 'ws'), await openOn(platform.gatewayUrl, 'sse')];
    const onB = [await openOn(replica.url, 'ws'), await openOn(replica.url, 'sse')];
    const from = await untilLive([...onA, ...onB], customerMarker);
    await rename(customerId);
    const received = await Promise.all([...onA, ...onB].map(async (collector, index) => collector.results[await collector.waitForMatch(isCustomer, 'the update', { from: from[index] })]));
    expect(new Set(received.map((result) => result.extensions?.eventId)).size).toBe(1);
    for (const result of received) {
      expect(result.errors).toBeUndefined();
      expect(result.data!.customerChanged).toMatchObject({ kind: 'UPDATED', customerId, customer: { name: `Renamed ${renames}`, segments: [{ name: 'VIP' }] } });
    }
  });

  test.each(['ws', 'sse'] as const)('a %s client that saw event 1 on one replica resumes on the other with exactly events 2 and 3, then live ones', async (transport) => {
    const witness = await openOn(platform.gatewayUrl, transport);
    const first = await openOn(platform.gatewayUrl, transport);
    const [witnessFrom, firstFrom] = await untilLive([witness, first], customerMarker);
    await rename(customerId);
    const lastEventId = first.results[await first.waitForMatch(isCustomer, 'event 1', { from: firstFrom })].extensions!.eventId!;
    await first.dispose();

    // Missed while disconnected, as the witness shows.
    await rename(customerId);
    await rename(customerId);
    const event1 = await witness.waitForMatch((result) => result.extensions?.eventId === lastEventId, 'event 1', { from: witnessFrom });
    const event3 = await witness.waitForMatch(isCustomer, 'event 3', { from: (await witness.waitForMatch(isCustomer, 'event 2', { from: event1 + 1 })) + 1 });

    const resumed = await openOn(replica.url, transport, { lastEventId });
    await resumed.waitFor(2, 'the two missed events');
    await rename(customerId);
    const end = await customerMarker();
    const witnessEnd = await witness.waitForMatch(end, 'the closing marker', { from: event3 + 1 });
    const resumedEnd = await resumed.waitForMatch(end, 'the closing marker');

    // Events 2, 3 and 4, then the closing marker.
    const expected = witness.results.slice(event1 + 1, witnessEnd + 1);
    expect(expected.map(isCustomer)).toEqual([true, true, true, false]);
    // The entity is read when the event is handled, so a replayed one shows today's name: the
    // event's own fields are what must match.
    const eventOf = (result: SubscriptionResult) => ({ eventId: result.extensions?.eventId, ...payloadOf(result), customer: undefined });
    expect(resumed.results.slice(0, resumedEnd + 1).map(eventOf)).toEqual(expected.map(eventOf));
    expect(resumed.errorCodes()).toEqual([]);
  });

  test('an event handled while marketing is stopped is delivered with segments null and SUBGRAPH_UNAVAILABLE; once marketing is back, segments return', async () => {
    const subscribers = [await openOn(platform.gatewayUrl, 'ws'), await openOn(replica.url, 'sse')];
    const from = await untilLive(subscribers, customerMarker);
    await platform.kill('marketing');
    try {
      await rename(customerId);
      const during = await Promise.all(subscribers.map(async (collector, index) => collector.results[await collector.waitForMatch(isCustomer, 'the update while marketing is stopped', { from: from[index] })]));
      for (const result of during) {
        expect(result.data!.customerChanged).toMatchObject({ kind: 'UPDATED', customerId, customer: { name: `Renamed ${renames}`, segments: null } });
        // As in a query, the error of a subgraph that did not answer names it and carries no path.
        expect(result.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE', service: 'marketing' }) })]);
      }
    } finally {
      await platform.start('marketing');
    }
    // Each replica's marketing breaker closes again once a query reads segments.
    for (const url of [platform.gatewayUrl, replica.url]) {
      await waitFor(async () => !(await gql(url, 'query ($id: ID!) { customer(id: $id) { segments { name } } }', { id: customerId })).body.errors, 'marketing to answer again', 30_000);
    }
    const resumedFrom = subscribers.map((collector) => collector.results.length);
    await rename(customerId);
    const after = await Promise.all(subscribers.map(async (collector, index) => collector.results[await collector.waitForMatch(isCustomer, 'the update after marketing is back', { from: resumedFrom[index] })]));
    for (const result of after) {
      expect(result.errors).toBeUndefined();
      expect(result.data!.customerChanged.customer).toEqual({ name: `Renamed ${renames}`, segments: [{ name: 'VIP' }] });
    }
  }, 300_000);

  // A third replica that lets a subscriber have only 3 results waiting and an SSE response only
  // 64 KB unsent, so a subscriber that stops reading is dropped after a few events.
  describe('a subscriber that stops reading', () => {
    let strict: RunningServer;
    // 30 aliases of 50 tags of 50 characters: each result is about 80 KB, so the socket's
    // buffers fill after a few dozen events and results start to wait in the gateway.
    const BULKY = `subscription { customerChanged { eventId customer { ${Array.from({ length: 30 }, (_, i) => `t${i}: tags`).join(' ')} } } }`;
    const bulky: string[] = [];


    beforeAll(async () => {
      strict = await startGateway({
        port: 0,
        subgraphUrls: platform.subgraphUrls,
        resilience,
        settings: loadSettings({ ...process.env, ...platform.eventBroker.environment, SUBSCRIPTION_MAX_QUEUED_EVENTS: '3', SUBSCRIPTION_MAX_BUFFERED_BYTES: '65536' }),
      });
      const tags = Array.from({ length: 50 }, (_, i) => `${String(i).padStart(2, '0')}${'x'.repeat(48)}`);
      for (let index = 0; index < 5; index++) bulky.push(await createBulky(tags));
    }, 120_000);

    afterAll(async () => {
      await strict?.stop();
    });

    // Renames the bulky customers until the gateway has let a subscriber go; returns whose
    // events there were. Never anywhere near the bound is needed.
    async function eventsUntilDropped(before: number): Promise<string[]> {
      const renamed: string[] = [];
      for (let round = 0; round < 200 && (await subscribersOn(strict.url)) >= before; round++) {
        await Promise.all(bulky.map((id) => rename(id)));
        renamed.push(...bulky);
      }
      return renamed;
    }

    // The healthy subscriber had every event, and goes on getting them.
    async function expectEvery(healthy: Collector, from: number, renamed: string[]) {
      const end = await customerMarker();
      const last = await healthy.waitForMatch(end, 'the closing marker', { from });
      const received = healthy.results.slice(from, last).map((result) => payloadOf(result)!.customerId as string);
      expect(received.sort()).toEqual([...renamed].sort());
      expect(healthy.ended).toBe(false);
    }

    test('over WebSocket: closed with 4008 while the gateway keeps serving the others', async () => {
      const healthy = subscribe('ws', strict.url, { query: 'subscription { customerChanged { eventId customerId } }', token: await tokenFor('admin') });
      const slow = await rawWsSubscriber(strict.url, (await tokenFor('admin'))!);
      try {
        // Ten on the one socket fill its buffers ten times as fast.
        for (let index = 0; index < 10; index++) slow.subscribe(`slow-${index}`, { query: BULKY });
        // Live once every one of them has read the same marker event.
        await untilRead(() => slow.received, customerMarker, 10);
        const [from] = await untilLive([healthy], customerMarker);
        const before = await subscribersOn(strict.url);

        slow.pause();
        const renamed = await eventsUntilDropped(before);
        slow.resume();
        expect(await slow.closed).toEqual({ code: 4008, reason: expect.stringMatching(/^Subscriber too slow/) });
        await expectEvery(healthy, from, renamed);
      } finally {
        await slow.close();
      }
    }, 300_000);

    test('over SSE: its response ends, without complete, while the gateway keeps serving the others', async () => {
      const healthy = subscribe('sse', strict.url, { query: 'subscription { customerChanged { eventId customerId } }', token: await tokenFor('admin') });
      const slow = await rawSseSubscriber(strict.url, (await tokenFor('admin'))!, { query: BULKY });
      try {
        await untilRead(() => slow.received, customerMarker);
        const [from] = await untilLive([healthy], customerMarker);
        const before = await subscribersOn(strict.url);

        slow.pause();
        const renamed = await eventsUntilDropped(before);
        slow.resume();
        await slow.ended;
        expect(slow.completed).toBe(false);
        expect(slow.received).toBeLessThan(renamed.length);
        await expectEvery(healthy, from, renamed);
      } finally {
        slow.close();
      }
    }, 300_000);
  });

  describe('one user with many subscriptions', () => {
    let capped: RunningServer;
    beforeAll(async () => {
      capped = await startGateway({ port: 0, subgraphUrls: platform.subgraphUrls, resilience, settings: loadSettings({ ...process.env, ...platform.eventBroker.environment, SUBSCRIPTION_MAX_PER_USER: '2' }) });
    });
    afterAll(async () => {
      await disposeAllSubscriptions();
      await capped?.stop();
    });

    it('is refused past SUBSCRIPTION_MAX_PER_USER over every connection and transport, while other users subscribe and a freed place can be taken again', async () => {
      const query = 'subscription { customerChanged { eventId } }';
      const first = subscribe('ws', capped.url, { query, token: await tokenFor('admin') });
      const second = subscribe('sse', capped.url, { query, token: await tokenFor('admin') });
      for (let attempt = 0; attempt < 200 && (await subscribersOn(capped.url)) < 2; attempt++) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(await subscribersOn(capped.url)).toBe(2);
      for (const transport of ['ws', 'sse'] as const) {
        const third = subscribe(transport, capped.url, { query, token: await tokenFor('admin') });
        await third.waitForEnd();
        expect(third.errorCodes()).toEqual(['RATE_LIMITED']);
      }
      const otherUser = subscribe('ws', capped.url, { query, token: await tokenFor('sales') });
      for (let attempt = 0; attempt < 200 && (await subscribersOn(capped.url)) < 3; attempt++) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(await subscribersOn(capped.url)).toBe(3);
      await first.dispose();
      for (let attempt = 0; attempt < 200 && (await subscribersOn(capped.url)) > 2; attempt++) await new Promise((resolve) => setTimeout(resolve, 25));
      const again = subscribe('sse', capped.url, { query, token: await tokenFor('admin') });
      for (let attempt = 0; attempt < 200 && (await subscribersOn(capped.url)) < 3; attempt++) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(await subscribersOn(capped.url)).toBe(3);
      expect(again.ended).toBe(false);
      await Promise.all([second.dispose(), otherUser.dispose(), again.dispose()]);
    });
  });
});
