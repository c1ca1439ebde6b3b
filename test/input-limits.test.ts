import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { getNullableType, isInputObjectType, isListType, isObjectType, parse, type GraphQLInputType } from 'graphql';
import { SUBGRAPH_NAMES } from '../lib/config';
import { INPUT_LIMITS, type ListInput } from '../lib/input-limits';
import { mintDevelopmentToken } from '../gateway/src/authentication';
import { expectNoErrors, startTestPlatform, type GraphQLResponse, type TestPlatform } from './harness';

let platform: TestPlatform;
let customerId: string;
let campaignId: string;

beforeAll(async () => {
  platform = await startTestPlatform();
  const created = await platform.gql('mutation { createCustomer(input: { name: "Ada" }) { id } }');
  expectNoErrors(created);
  customerId = created.body.data!.createCustomer.id;
  const campaign = await platform.gql('mutation { createCampaign(input: { name: "Launch", channel: EMAIL, budget: { amount: "5", currency: "USD" } }) { id } }');
  expectNoErrors(campaign);
  campaignId = campaign.body.data!.createCampaign.id;
});
afterAll(() => platform?.stop());

// Every list-typed argument and input field of the three subgraphs' schemas, as coordinates:
// Type.field for input fields, Type.field(argument:) for arguments. `_entities` comes from
// the federation library, so the schemas are built the way the subgraphs build them.
function listInputsOfSchemas(): Set<string> {
  const isList = (type: GraphQLInputType) => isListType(getNullableType(type));
  const found = new Set<string>();
  for (const name of SUBGRAPH_NAMES) {
    const typeDefs = parse(readFileSync(path.join(__dirname, '..', 'subgraphs', name, 'src', 'schema.graphql'), 'utf8'));
    const schema = buildSubgraphSchema({ typeDefs });
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__')) continue;
      if (isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) if (isList(field.type)) found.add(`${type.name}.${field.name}`);
      } else if (isObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          for (const argument of field.args) if (isList(argument.type)) found.add(`${type.name}.${field.name}(${argument.name}:)`);
        }
      }
    }
  }
  return found;
}

const repeat = <T>(n: number, value: (index: number) => T) => Array.from({ length: n }, (_, index) => value(index));
const enumValues = (n: number, value: string) => repeat(n, () => value);

// A request sending a list of n entries to each list input, and the field its error names.
const subscribers = async () => ((await (await fetch(platform.gatewayUrl.replace('/graphql', '/ready'))).json()) as { dependencies: { events: { subscribers: number } } }).dependencies.events.subscribers;

async function subscribeOnce(query: string, variables: Record<string, unknown>): Promise<GraphQLResponse> {
  const before = await subscribers();
  const headers = { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${await mintDevelopmentToken('admin', '10m')}` };
  const response = await fetch(platform.gatewayUrl, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  if ((await subscribers()) > before) {
    await response.body?.cancel();
    return { status: response.status, body: {} };
  }
  const next = /^event: next\ndata: (.*)$/m.exec(await response.text());
  return { status: response.status, body: next ? JSON.parse(next[1]) : {} };
}

const CASES: Record<ListInput, { field: string; send: (n: number) => Promise<GraphQLResponse[]> }> = {
  'CustomerFilter.status': {
    field: 'filter.status',
    send: async (n) => [await platform.gql('query($s: [LifecycleStatus!]) { customers(first: 1, filter: { status: $s }) { totalCount } }', { s: enumValues(n, 'ACTIVE') }, 'viewer')],
  },
  'CustomerFilter.tags': {
    field: 'filter.tags',
    send: async (n) => [await platform.gql('query($t: [String!]) { customers(first: 1, filter: { tags: $t }) { totalCount } }', { t: repeat(n, (i) => `tag${i}`) }, 'viewer')],
  },
  'CreateCustomerInput.tags': {
    field: 'input.tags',
    send: async (n) => [await platform.gql('mutation($t: [String!]) { createCustomer(input: { name: "Tagged", tags: $t }) { id } }', { t: repeat(n, (i) => `tag${i}`) })],
  },
  'UpdateCustomerInput.tags': {
    field: 'input.tags',
    send: async (n) => [await platform.gql('mutation($id: ID!, $t: [String!]) { updateCustomer(id: $id, input: { tags: $t }) { id } }', { id: customerId, t: repeat(n, (i) => `tag${i}`) })],
  },
  'Customer.orders(status:)': {
    field: 'status',
    send: async (n) => [await platform.gql('query($id: ID!, $s: [OrderStatus!]) { customer(id: $id) { orders(first: 1, status: $s) { totalCount } } }', { id: customerId, s: enumValues(n, 'PAID') }, 'viewer')],
  },
  'Customer.opportunities(stage:)': {
    field: 'stage',
    send: async (n) => [await platform.gql('query($id: ID!, $s: [OpportunityStage!]) { customer(id: $id) { opportunities(first: 1, stage: $s) { totalCount } } }', { id: customerId, s: enumValues(n, 'PROPOSAL') }, 'viewer')],
  },
  'OrderFilter.status': {
    field: 'filter.status',
    send: async (n) => [await platform.gql('query($s: [OrderStatus!]) { orders(first: 1, filter: { status: $s }) { totalCount } }', { s: enumValues(n, 'PAID') }, 'viewer')],
  },
  'OpportunityFilter.stage': {
    field: 'filter.stage',
    send: async (n) => [await platform.gql('query($s: [OpportunityStage!]) { opportunities(first: 1, filter: { stage: $s }) { totalCount } }', { s: enumValues(n, 'PROPOSAL') }, 'viewer')],
  },
  'CreateOrderInput.items': {
    field: 'input.items',
    send: async (n) => [
      await platform.gql('mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }', {
        input: { customerId, items: repeat(n, () => ({ productId: '00000000-0000-4000-8000-000000000000', quantity: 1 })) },
      }),
    ],
  },
  'CampaignFilter.status': {
    field: 'filter.status',
    send: async (n) => [await platform.gql('query($s: [CampaignStatus!]) { campaigns(first: 1, filter: { status: $s }) { totalCount } }', { s: enumValues(n, 'ACTIVE') }, 'viewer')],
  },
  'CampaignFilter.channel': {
    field: 'filter.channel',
    send: async (n) => [await platform.gql('query($c: [CampaignChannel!]) { campaigns(first: 1, filter: { channel: $c }) { totalCount } }', { c: enumValues(n, 'EMAIL') }, 'viewer')],
  },
  ...Object.fromEntries(
    (
      [
        ['kinds', (n: number) => enumValues(n, 'PERSON')],
        ['statuses', (n: number) => enumValues(n, 'ACTIVE')],
        ['tagsAny', (n: number) => repeat(n, (i) => `tag${i}`)],
        ['tagsAll', (n: number) => repeat(n, (i) => `tag${i}`)],
        ['companies', (n: number) => repeat(n, (i) => `Company ${i}`)],
        // Only 125 scores exist, so the list past the maximum repeats one.
        ['rfmScores', (n: number) => repeat(n, (i) => `${1 + (Math.floor(i / 25) % 5)}${1 + (Math.floor(i / 5) % 5)}${1 + (i % 5)}`)],
      ] as const
    ).map(([rule, values]) => [
      `SegmentRulesInput.${rule}`,
      {
        field: `input.rules.${rule}`,
        send: async (n: number) => [
          await platform.gql('mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id } }', { input: { name: `Segment by ${rule} ${n}`, rules: { [rule]: values(n) } } }),
        ],
      },
    ]),
  ),
  'Mutation.addCampaignMembers(customerIds:)': {
    field: 'customerIds',
    send: async (n) => [
      await platform.gql('mutation($id: ID!, $ids: [ID!]!) { addCampaignMembers(campaignId: $id, customerIds: $ids) { id } }', { id: campaignId, ids: repeat(n, () => randomUUID()) }),
    ],
  },
  // Subscriptions (over SSE): a refused one is answered in the stream; an accepted one has its
  // subscriber registered before the stream's headers are sent, which the gateway's /ready counts.
  'Subscription.customerChanged(ids:)': {
    field: 'ids',
    send: async (n) => [await subscribeOnce('subscription($ids: [ID!]) { customerChanged(ids: $ids) { eventId } }', { ids: repeat(n, () => randomUUID()) })],
  },
  'Subscription.customerChanged(kinds:)': {
    field: 'kinds',
    send: async (n) => [await subscribeOnce('subscription($kinds: [CustomerChangeKind!]) { customerChanged(kinds: $kinds) { eventId } }', { kinds: enumValues(n, 'UPDATED') })],
  },
  // Only the gateway (or a peer) calls _entities, so this goes to each subgraph directly.
  'Query._entities(representations:)': {
    field: 'representations',
    send: (n) =>
      Promise.all(
        SUBGRAPH_NAMES.map((name) =>
          platform.subgraphGql(name, 'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', { r: repeat(n, () => ({ __typename: 'Customer', id: randomUUID() })) }),
        ),
      ),
  },
} as Record<ListInput, { field: string; send: (n: number) => Promise<GraphQLResponse[]> }>;

describe('list inputs', () => {
  it('every list-typed argument and input field of the schemas has a maximum and a case here', () => {
    const inputs = [...listInputsOfSchemas()].sort();
    expect(Object.keys(INPUT_LIMITS).sort()).toEqual(inputs);
    expect(Object.keys(CASES).sort()).toEqual(inputs);
  });

  it.each(Object.keys(INPUT_LIMITS) as ListInput[])('%s: one entry past the maximum is refused with its field, nothing written; the maximum is not', async (coordinate) => {
    const { field, send } = CASES[coordinate];
    const max = INPUT_LIMITS[coordinate];
    const before = await platform.rowCounts();
    for (const answer of await send(max + 1)) {
      expect(answer.status).toBeLessThan(500);
      expect(answer.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(await platform.rowCounts()).toEqual(before);
    for (const answer of await send(max)) {
      expect(answer.status).toBeLessThan(500);
      for (const error of answer.body.errors ?? []) {
        expect(error.extensions?.field).not.toBe(field);
        expect(error.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
      }
    }
  });

  it.each([
    ['customers(filter: { status })', 'query($s: [LifecycleStatus!]) { customers(first: 1, filter: { status: $s }) { totalCount } }', 'ACTIVE', 'filter.status'],
    ['nested orders(status:)', `query($s: [OrderStatus!]) { customers(first: 1) { nodes { orders(status: $s) { totalCount } } } }`, 'PAID', 'status'],
  ])('%s with 40,000 repeated values is refused before it reaches the database', async (_name, query, value, field) => {
    const answer = await platform.gql(query, { s: enumValues(40_000, value) }, 'viewer');
    expect(answer.status).toBe(200);
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('admits the largest page the gateway asks for: 1000 customers, one _entities call of 1000 to sales and to marketing', async () => {
    await platform.sql('customer', `INSERT INTO "Customer" ("id", "name", "updatedAt") SELECT gen_random_uuid(), 'Page ' || n, now() FROM generate_series(1, 1000) AS n`);
    const page = await platform.gql('{ customers(first: 1000) { nodes { id orders(first: 1) { totalCount } lifetimeValue { amount } campaigns { id } } } }');
    expectNoErrors(page);
    expect(page.body.data!.customers.nodes).toHaveLength(1000);
  });

  it('answers a repeated but short enum list as if each value were given once', async () => {
    const answer = await platform.gql('query($s: [LifecycleStatus!]) { customers(filter: { status: $s }) { totalCount } }', { s: enumValues(100, 'LEAD') }, 'viewer');
    expectNoErrors(answer);
    expect(answer.body.data!.customers.totalCount).toBeGreaterThanOrEqual(1);
  });
});
