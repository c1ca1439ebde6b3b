import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { getIntrospectionQuery, Kind, parse } from 'graphql';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload, type KeyLike } from 'jose';
import { DEMO_USERS, mintDevelopmentToken } from '../gateway/src/authentication';
import { startGateway } from '../gateway/src/server';
import { DEVELOPMENT_SECRETS, IDENTITY_HEADER, InternalIdentitySigner } from '../lib/auth';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/config';
import type { RunningServer } from '../lib/http-server';
import { expectNoErrors, internalHeaders, postGraphQL, startTestPlatform, type Caller, type GraphQLResponse, type TestPlatform } from './harness';

let platform: TestPlatform;
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const ROLES = ['admin', 'sales', 'marketing', 'viewer'] as const;
const ids: Record<string, string> = {};

beforeAll(async () => {
  platform = await startTestPlatform();
  const run = async (query: string) => {
    const response = await platform.gql(query);
    expectNoErrors(response);
    return response.body.data!;
  };
  ids.customer = (await run('mutation { createCustomer(input: { name: "Ada", email: "ada@example.com", phone: "+1 555 0100" }) { id } }')).createCustomer.id;
  ids.contact = (await run(`mutation { createContact(input: { customerId: "${ids.customer}", name: "Bob", email: "bob@example.com", phone: "+1 555 0101" }) { id } }`)).createContact.id;
  ids.product = (await run('mutation { createProduct(input: { sku: "S-1", name: "Seat", price: { amount: "10", currency: "USD" } }) { id } }')).createProduct.id;
  ids.order = (await run(`mutation { createOrder(input: { customerId: "${ids.customer}", status: PLACED, items: [{ productId: "${ids.product}", quantity: 2 }] }) { id } }`)).createOrder.id;
  ids.opportunity = (await run(`mutation { createOpportunity(input: { customerId: "${ids.customer}", name: "Deal", amount: { amount: "100", currency: "USD" }, probability: 50, expectedCloseDate: "2027-01-31" }) { id } }`)).createOpportunity.id;
  ids.campaign = (await run('mutation { createCampaign(input: { name: "Launch", channel: EMAIL, budget: { amount: "5", currency: "USD" } }) { id } }')).createCampaign.id;
  await run(`mutation { attributeOrder(campaignId: "${ids.campaign}", orderId: "${ids.order}") { id } }`);
  // Marketing's analysis of the order (Customer.rfm) comes from its events.
  await platform.settled();
});
afterAll(() => platform?.stop());

const codeOf = (response: GraphQLResponse) => response.body.errors?.[0]?.extensions?.code;

// Every mutation, called with arguments that pass GraphQL validation but not the service's
// checks, so a caller who is let through gets a validation error and nothing is written.
const MUTATIONS: { name: string; allowed: Caller[]; query: string }[] = [
  { name: 'createCustomer', allowed: ['admin', 'sales'], query: 'mutation { createCustomer(input: { name: "" }) { id } }' },
  { name: 'updateCustomer', allowed: ['admin', 'sales'], query: `mutation { updateCustomer(id: "${UNKNOWN}", input: {}) { id } }` },
  { name: 'archiveCustomer', allowed: ['admin', 'sales'], query: `mutation { archiveCustomer(id: "${UNKNOWN}") { id } }` },
  { name: 'restoreCustomer', allowed: ['admin', 'sales'], query: `mutation { restoreCustomer(id: "${UNKNOWN}") { id } }` },
  { name: 'deleteCustomer', allowed: ['admin'], query: `mutation { deleteCustomer(id: "${UNKNOWN}") }` },
  { name: 'eraseCustomer', allowed: ['admin'], query: `mutation { eraseCustomer(id: "${UNKNOWN}") { id } }` },
  { name: 'createContact', allowed: ['admin', 'sales'], query: `mutation { createContact(input: { customerId: "${UNKNOWN}", name: "X" }) { id } }` },
  { name: 'updateContact', allowed: ['admin', 'sales'], query: `mutation { updateContact(id: "${UNKNOWN}", input: {}) { id } }` },
  { name: 'deleteContact', allowed: ['admin', 'sales'], query: `mutation { deleteContact(id: "${UNKNOWN}") }` },
  { name: 'logInteraction', allowed: ['admin', 'sales'], query: `mutation { logInteraction(input: { customerId: "${UNKNOWN}", type: CALL, subject: "X" }) { id } }` },
  { name: 'deleteInteraction', allowed: ['admin', 'sales'], query: `mutation { deleteInteraction(id: "${UNKNOWN}") }` },
  { name: 'createProduct', allowed: ['admin'], query: 'mutation { createProduct(input: { sku: "", name: "X", price: { amount: "1", currency: "USD" } }) { id } }' },
  { name: 'updateProduct', allowed: ['admin'], query: `mutation { updateProduct(id: "${UNKNOWN}", input: {}) { id } }` },
  { name: 'deleteProduct', allowed: ['admin'], query: `mutation { deleteProduct(id: "${UNKNOWN}") }` },
  { name: 'createOrder', allowed: ['admin', 'sales'], query: `mutation { createOrder(input: { customerId: "${UNKNOWN}", items: [] }) { id } }` },
  { name: 'updateOrderStatus', allowed: ['admin', 'sales'], query: `mutation { updateOrderStatus(id: "${UNKNOWN}", status: PAID) { id } }` },
  { name: 'deleteOrder', allowed: ['admin', 'sales'], query: `mutation { deleteOrder(id: "${UNKNOWN}") }` },
  {
    name: 'createOpportunity',
    allowed: ['admin', 'sales'],
    query: `mutation { createOpportunity(input: { customerId: "${UNKNOWN}", name: "X", amount: { amount: "1", currency: "USD" }, probability: 500, expectedCloseDate: "2027-01-01" }) { id } }`,
  },
  { name: 'updateOpportunity', allowed: ['admin', 'sales'], query: `mutation { updateOpportunity(id: "${UNKNOWN}", input: {}) { id } }` },
  { name: 'deleteOpportunity', allowed: ['admin', 'sales'], query: `mutation { deleteOpportunity(id: "${UNKNOWN}") }` },
  { name: 'createSegment', allowed: ['admin', 'marketing'], query: 'mutation { createSegment(input: { name: "", rules: {} }) { id } }' },
  { name: 'updateSegment', allowed: ['admin', 'marketing'], query: `mutation { updateSegment(id: "${UNKNOWN}", input: {}) { id } }` },
  { name: 'deleteSegment', allowed: ['admin', 'marketing'], query: `mutation { deleteSegment(id: "${UNKNOWN}") }` },
  { name: 'createCampaign', allowed: ['admin', 'marketing'], query: 'mutation { createCampaign(input: { name: "", channel: EMAIL, budget: { amount: "1", currency: "USD" } }) { id } }' },
  { name: 'updateCampaign', allowed: ['admin', 'marketing'], query: `mutation { updateCampaign(id: "${UNKNOWN}", input: {}) { id } }` },
  { name: 'deleteCampaign', allowed: ['admin', 'marketing'], query: `mutation { deleteCampaign(id: "${UNKNOWN}") }` },
  { name: 'addCampaignMembers', allowed: ['admin', 'marketing'], query: `mutation { addCampaignMembers(campaignId: "${UNKNOWN}", customerIds: ["${UNKNOWN}"]) { id } }` },
  { name: 'updateCampaignMemberStatus', allowed: ['admin', 'marketing'], query: `mutation { updateCampaignMemberStatus(campaignId: "${UNKNOWN}", customerId: "${UNKNOWN}", status: SENT) { id } }` },
  { name: 'removeCampaignMember', allowed: ['admin', 'marketing'], query: `mutation { removeCampaignMember(campaignId: "${UNKNOWN}", customerId: "${UNKNOWN}") }` },
  { name: 'recordCampaignResponse', allowed: ['admin', 'marketing'], query: `mutation { recordCampaignResponse(input: { campaignId: "${UNKNOWN}", customerId: "${UNKNOWN}", type: OPENED }) { id } }` },
  { name: 'attributeOrder', allowed: ['admin', 'marketing'], query: `mutation { attributeOrder(campaignId: "${UNKNOWN}", orderId: "${UNKNOWN}") { id } }` },
  { name: 'removeOrderAttribution', allowed: ['admin', 'marketing'], query: `mutation { removeOrderAttribution(campaignId: "${UNKNOWN}", orderId: "${UNKNOWN}") { id } }` },
];

describe('role matrix: mutations', () => {
  it('covers every mutation in the graph', async () => {
    const response = await platform.gql('{ __schema { mutationType { fields { name } } } }');
    const names = response.body.data!.__schema.mutationType.fields.map((field: { name: string }) => field.name);
    expect(MUTATIONS.map((mutation) => mutation.name).sort()).toEqual(names.sort());
  });

  it.each(MUTATIONS)('$name: allowed for $allowed, FORBIDDEN for other roles, UNAUTHENTICATED without a token', async ({ name, allowed, query }) => {
    const before = await platform.rowCounts();
    for (const caller of [...ROLES, 'anonymous'] as const) {
      const response = await platform.gql(query, {}, caller);
      expect(response.status).toBeLessThan(500);
      const code = codeOf(response);
      if (caller === 'anonymous') expect(code).toBe('UNAUTHENTICATED');
      else if (allowed.includes(caller)) expect(['BAD_USER_INPUT', 'NOT_FOUND']).toContain(code);
      else {
        expect(code).toBe('FORBIDDEN');
        expect(response.body.errors![0].extensions).toMatchObject({ field: `Mutation.${name}` });
      }
    }
    expect(await platform.rowCounts()).toEqual(before);
  });

  it('lets each role write what it owns', async () => {
    expectNoErrors(await platform.gql('mutation { createCustomer(input: { name: "By sales" }) { id } }', {}, 'sales'));
    expectNoErrors(await platform.gql('mutation { createSegment(input: { name: "By marketing", rules: { tagsAny: ["vip"] } }) { id } }', {}, 'marketing'));
    expectNoErrors(await platform.gql(`mutation { updateOrderStatus(id: "${ids.order}", status: PAID) { status } }`, {}, 'sales'));
  });
});

// Sensitive fields: customers' and contacts' personal data, and sales figures.
const FIELDS: { field: string; allowed: Caller[]; query: () => string; value: (data: any) => unknown }[] = [
  { field: 'Customer.email', allowed: ['admin', 'sales', 'marketing'], query: () => `{ customer(id: "${ids.customer}") { name email } }`, value: (data) => data?.customer?.email },
  { field: 'Customer.phone', allowed: ['admin', 'sales', 'marketing'], query: () => `{ customer(id: "${ids.customer}") { name phone } }`, value: (data) => data?.customer?.phone },
  { field: 'Contact.email', allowed: ['admin', 'sales', 'marketing'], query: () => `{ contact(id: "${ids.contact}") { name email } }`, value: (data) => data?.contact?.email },
  { field: 'Contact.phone', allowed: ['admin', 'sales', 'marketing'], query: () => `{ contact(id: "${ids.contact}") { name phone } }`, value: (data) => data?.contact?.phone },
  { field: 'Customer.orders', allowed: ['admin', 'sales', 'viewer'], query: () => `{ customer(id: "${ids.customer}") { name orders { totalCount } } }`, value: (data) => data?.customer?.orders },
  { field: 'Customer.opportunities', allowed: ['admin', 'sales', 'viewer'], query: () => `{ customer(id: "${ids.customer}") { name opportunities { totalCount } } }`, value: (data) => data?.customer?.opportunities },
  { field: 'Customer.lifetimeValue', allowed: ['admin', 'sales', 'viewer'], query: () => `{ customer(id: "${ids.customer}") { name lifetimeValue { amount } } }`, value: (data) => data?.customer?.lifetimeValue },
  { field: 'Customer.rfm', allowed: ['admin', 'marketing'], query: () => `{ customer(id: "${ids.customer}") { name rfm { score } } }`, value: (data) => data?.customer?.rfm?.[0]?.score },
  { field: 'Query.order', allowed: ['admin', 'sales', 'viewer'], query: () => `{ order(id: "${ids.order}") { total { amount } } }`, value: (data) => data?.order },
  { field: 'Query.orders', allowed: ['admin', 'sales', 'viewer'], query: () => '{ orders { totalCount } }', value: (data) => data?.orders },
  { field: 'Query.opportunity', allowed: ['admin', 'sales', 'viewer'], query: () => `{ opportunity(id: "${ids.opportunity}") { amount { amount } } }`, value: (data) => data?.opportunity },
  { field: 'Query.opportunities', allowed: ['admin', 'sales', 'viewer'], query: () => '{ opportunities { totalCount } }', value: (data) => data?.opportunities },
  // Orders reached from marketing: marketing refuses the field to the roles sales' Order refuses,
  // so the campaign itself is still read (an entity refused in a list would take it with it).
  {
    field: 'Campaign.attributedOrders',
    allowed: ['admin', 'sales', 'viewer'],
    query: () => `{ campaign(id: "${ids.campaign}") { name attributedOrders { id total { amount } } } }`,
    value: (data) => data?.campaign?.attributedOrders?.[0]?.total,
  },
];

describe('role matrix: sensitive fields', () => {
  it.each(FIELDS)('$field: readable by $allowed, FORBIDDEN (null) for other roles', async ({ field, allowed, query, value }) => {
    for (const caller of ROLES) {
      const response = await platform.gql(query(), {}, caller);
      expect(response.status).toBe(200);
      if (allowed.includes(caller)) {
        expectNoErrors(response);
        expect(value(response.body.data)).toBeTruthy();
      } else {
        expect(value(response.body.data)).toBeFalsy();
        expect(response.body.errors?.map((error) => error.extensions)).toContainEqual(expect.objectContaining({ code: 'FORBIDDEN', field }));
      }
    }
  });

  it('does not let a role that may not read emails search by them', async () => {
    const search = 'query($s: String) { customers(filter: { search: $s }) { totalCount } }';
    expect((await platform.gql(search, { s: 'ada@example' }, 'admin')).body.data).toEqual({ customers: { totalCount: 1 } });
    expect((await platform.gql(search, { s: 'ada@example' }, 'viewer')).body.data).toEqual({ customers: { totalCount: 0 } });
    expect((await platform.gql(search, { s: 'Ada' }, 'viewer')).body.data).toEqual({ customers: { totalCount: 1 } });
  });

  it('keeps the rest of a response when one field is forbidden', async () => {
    const response = await platform.gql(`{ customer(id: "${ids.customer}") { name email } }`, {}, 'viewer');
    expect(response.body.data).toEqual({ customer: { name: 'Ada', email: null } });
  });

  it('answers every query field UNAUTHENTICATED without a token, and nothing else', async () => {
    const response = await platform.gql('{ __schema { queryType { fields { name } } } }');
    const names: string[] = response.body.data!.__schema.queryType.fields.map((field: { name: string }) => field.name);
    const queries: Record<string, string> = {
      customer: `customer(id: "${ids.customer}") { id }`,
      customers: 'customers { totalCount }',
      contact: `contact(id: "${ids.contact}") { id }`,
      interaction: `interaction(id: "${UNKNOWN}") { id }`,
      product: `product(id: "${ids.product}") { id }`,
      products: 'products { totalCount }',
      order: `order(id: "${ids.order}") { id }`,
      orders: 'orders { totalCount }',
      opportunity: `opportunity(id: "${ids.opportunity}") { id }`,
      opportunities: 'opportunities { totalCount }',
      campaign: `campaign(id: "${ids.campaign}") { id }`,
      campaigns: 'campaigns { totalCount }',
      segment: `segment(id: "${UNKNOWN}") { id }`,
      segments: 'segments { totalCount }',
    };
    expect(Object.keys(queries).sort()).toEqual(names.sort());
    for (const [name, selection] of Object.entries(queries)) {
      const anonymous = await platform.gql(`{ ${selection} }`, {}, 'anonymous');
      expect(anonymous.body.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', field: `Query.${name}` });
      expect(anonymous.body.data?.[name] ?? null).toBeNull();
    }
  });
});

describe('user tokens at the gateway', () => {
  const secret = new TextEncoder().encode(DEVELOPMENT_SECRETS.AUTH_JWT_SECRET);
  const token = (edit: (jwt: SignJWT) => SignJWT, key = secret) =>
    edit(new SignJWT({ roles: ['ADMIN'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('user-admin').setIssuer('crm-dev').setAudience('crm-api').setIssuedAt()).sign(key);
  const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it.each([
    ['an expired token', () => token((jwt) => jwt.setExpirationTime(Math.floor(Date.now() / 1000) - 60))],
    ['a token from another issuer', () => token((jwt) => jwt.setIssuer('someone-else').setExpirationTime('5m'))],
    ['a token for another audience', () => token((jwt) => jwt.setAudience('another-api').setExpirationTime('5m'))],
    ['a token signed with another secret', () => token((jwt) => jwt.setExpirationTime('5m'), new TextEncoder().encode('x'.repeat(48)))],
    ['a token without expiry', () => token((jwt) => jwt)],
    ['an unsigned token (alg none)', async () => `${base64url({ alg: 'none' })}.${base64url({ sub: 'user-admin', roles: ['ADMIN'], iss: 'crm-dev', aud: 'crm-api', exp: 4102444800 })}.`],
    ['garbage', async () => 'not.a.token'],
  ])('answers 401 UNAUTHENTICATED to %s and writes nothing', async (_case, makeToken) => {
    const before = await platform.rowCounts();
    const response = await postGraphQL(platform.gatewayUrl, 'mutation { createCustomer(input: { name: "Intruder" }) { id } }', {}, { authorization: `Bearer ${await makeToken()}` });
    expect(response.status).toBe(401);
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
    expect(await platform.rowCounts()).toEqual(before);
  });

  it('answers 401 to an Authorization header that is not a bearer token', async () => {
    const response = await postGraphQL(platform.gatewayUrl, '{ customers { totalCount } }', {}, { authorization: 'Basic YWRtaW46YWRtaW4=' });
    expect(response.status).toBe(401);
  });

  it('reads roles from a space-separated claim and ignores roles it does not know', async () => {
    const jwt = await new SignJWT({ roles: 'viewer SUPERUSER' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setIssuer('crm-dev').setAudience('crm-api').setExpirationTime('5m').sign(secret);
    const response = await postGraphQL(platform.gatewayUrl, `{ customer(id: "${ids.customer}") { name email } }`, {}, { authorization: `Bearer ${jwt}` });
    expect(response.body.data).toEqual({ customer: { name: 'Ada', email: null } });
    expect(codeOf(response)).toBe('FORBIDDEN');
  });

  it.each([
    ['a list holding a list', [['ADMIN']]],
    ['a list holding an object that cannot become a string', [{ toString: 1 }]],
    ['a list holding a number', ['VIEWER', 1]],
    ['an object', { ADMIN: true }],
    ['a number', 42],
    ['null', null],
  ])('answers 401 UNAUTHENTICATED, naming the claim, to a roles claim that is %s', async (_case, roles) => {
    const jwt = await new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256' }).setSubject('user-admin').setIssuer('crm-dev').setAudience('crm-api').setExpirationTime('5m').sign(secret);
    const before = await platform.rowCounts();
    const response = await postGraphQL(platform.gatewayUrl, 'mutation { createCustomer(input: { name: "Coerced" }) { id } }', {}, { authorization: `Bearer ${jwt}` });
    expect(response.status).toBe(401);
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
    expect(response.body.errors?.[0].message).toMatch(/roles claim/);
    expect(await platform.rowCounts()).toEqual(before);
  });

  it.each([
    ['a number', 42],
    ['an object that cannot become a string', { toString: 1 }],
    ['a list', ['user-admin']],
    ['an empty string', ''],
    ['longer than 256 characters', 'u'.repeat(257)],
  ])('answers 401 UNAUTHENTICATED, naming the claim, to a sub claim that is %s', async (_case, sub) => {
    const jwt = await new SignJWT({ roles: ['ADMIN'], sub } as JWTPayload).setProtectedHeader({ alg: 'HS256' }).setIssuer('crm-dev').setAudience('crm-api').setExpirationTime('5m').sign(secret);
    const before = await platform.rowCounts();
    const response = await postGraphQL(platform.gatewayUrl, 'mutation { createCustomer(input: { name: "Nobody" }) { id } }', {}, { authorization: `Bearer ${jwt}` });
    expect(response.status).toBe(401);
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
    expect(response.body.errors?.[0].message).toMatch(/sub claim/);
    expect(await platform.rowCounts()).toEqual(before);
  });

  it('treats a token without a roles claim as a user without roles', async () => {
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setIssuer('crm-dev').setAudience('crm-api').setExpirationTime('5m').sign(secret);
    const response = await postGraphQL(platform.gatewayUrl, `{ customer(id: "${ids.customer}") { name email } }`, {}, { authorization: `Bearer ${jwt}` });
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ customer: { name: 'Ada', email: null } });
  });
});

describe('gateway → subgraph trust', () => {
  const mutation = 'mutation { createCustomer(input: { name: "Forged" }) { id } }';
  const forged = async (headers: Record<string, string>) => postGraphQL(platform.subgraphs.customer.url, mutation, {}, headers);

  it.each([
    ['no identity at all', async () => ({})],
    ['user headers a caller made up', async () => ({ 'x-user-id': 'user-admin', 'x-user-roles': 'ADMIN', 'x-roles': 'ADMIN' })],
    ['a user token meant for the gateway', async () => ({ authorization: `Bearer ${await mintDevelopmentToken('admin')}` })],
    ['the gateway header with a user token in it', async () => ({ [IDENTITY_HEADER]: await mintDevelopmentToken('admin') })],
    ['an identity signed with another secret', async () => ({ [IDENTITY_HEADER]: await new InternalIdentitySigner('y'.repeat(48)).sign({ kind: 'user', userId: 'user-admin', roles: ['ADMIN'] }) })],
    ['an expired identity', async () => ({ [IDENTITY_HEADER]: await new InternalIdentitySigner(DEVELOPMENT_SECRETS.INTERNAL_JWT_SECRET, -60).sign({ kind: 'user', userId: 'user-admin', roles: ['ADMIN'] }) })],
    ['a forged header value', async () => ({ [IDENTITY_HEADER]: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyLWFkbWluIiwicm9sZXMiOlsiQURNSU4iXX0.' })],
  ])('a subgraph called directly with %s answers 401 and writes nothing', async (_case, headers) => {
    const before = await platform.rowCounts();
    const response = await forged(await headers());
    expect(response.status).toBe(401);
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
    expect(await platform.rowCounts()).toEqual(before);
  });

  it.each([
    ['a list holding a list', [['ADMIN']]],
    ['a list holding an object', [{ toString: 1 }]],
    ['a string', 'ADMIN'],
  ])('a subgraph answers 401 to a signed identity whose roles claim is %s', async (_case, roles) => {
    const identity = await new SignJWT({ roles })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('user-admin')
      .setIssuer('crm-gateway')
      .setAudience('crm-subgraphs')
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode(DEVELOPMENT_SECRETS.INTERNAL_JWT_SECRET));
    const before = await platform.rowCounts();
    const response = await forged({ [IDENTITY_HEADER]: identity });
    expect(response.status).toBe(401);
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
    expect(response.body.errors?.[0].message).toMatch(/roles claim/);
    expect(await platform.rowCounts()).toEqual(before);
  });

  it('the gateway replaces an identity header a client sends it', async () => {
    const response = await postGraphQL(platform.gatewayUrl, '{ customers { totalCount } }', {}, await internalHeaders('admin'));
    expect(response.body.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('a subgraph enforces roles on a correctly signed identity too', async () => {
    const response = await platform.subgraphGql('customer', mutation, {}, 'viewer');
    expect(codeOf(response)).toBe('FORBIDDEN');
  });

  it('a service identity may look up entities but not call mutations or queries', async () => {
    const service = { [IDENTITY_HEADER]: await new InternalIdentitySigner(DEVELOPMENT_SECRETS.INTERNAL_JWT_SECRET).sign({ kind: 'service', service: 'sales' }) };
    const before = await platform.rowCounts();
    const write = await postGraphQL(platform.subgraphs.customer.url, `mutation { deleteCustomer(id: "${ids.customer}") }`, {}, service);
    expect(write.body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', field: 'Mutation.deleteCustomer' });
    const list = await postGraphQL(platform.subgraphs.customer.url, '{ customers { totalCount } }', {}, service);
    expect(codeOf(list)).toBe('FORBIDDEN');
    const lookup = await postGraphQL(platform.subgraphs.customer.url, 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { archived } } }', { r: [{ __typename: 'Customer', id: ids.customer }] }, service);
    expect(lookup.body.data).toEqual({ _entities: [{ archived: false }] });
    expect(await platform.rowCounts()).toEqual(before);
  });

  // The peers' side of a deletion: a user who could call them could hold a customer or an order
  // no deletion will ever release. Called with rows that exist, so a refusal is the guard's.
  const INTERNAL: { subgraph: SubgraphName; name: string; query: () => string }[] = [
    { subgraph: 'sales', name: '_holdCustomerInSales', query: () => `mutation { _holdCustomerInSales(customerId: "${ids.customer}", holdId: "${UNKNOWN}") }` },
    { subgraph: 'sales', name: '_releaseCustomerInSales', query: () => `mutation { _releaseCustomerInSales(customerId: "${ids.customer}", holdId: "${UNKNOWN}") }` },
    { subgraph: 'marketing', name: '_holdCustomerInMarketing', query: () => `mutation { _holdCustomerInMarketing(customerId: "${ids.customer}", holdId: "${UNKNOWN}") }` },
    { subgraph: 'marketing', name: '_releaseCustomerInMarketing', query: () => `mutation { _releaseCustomerInMarketing(customerId: "${ids.customer}", holdId: "${UNKNOWN}") }` },
    { subgraph: 'marketing', name: '_holdOrderInMarketing', query: () => `mutation { _holdOrderInMarketing(orderId: "${ids.order}", holdId: "${UNKNOWN}") }` },
    { subgraph: 'marketing', name: '_releaseOrderInMarketing', query: () => `mutation { _releaseOrderInMarketing(orderId: "${ids.order}", holdId: "${UNKNOWN}") }` },
  ];

  it('covers every internal root field (@inaccessible) of every subgraph', () => {
    const internal = SUBGRAPH_NAMES.flatMap((subgraph) =>
      parse(readFileSync(path.join(__dirname, '..', 'subgraphs', subgraph, 'src', 'schema.graphql'), 'utf8')).definitions.flatMap((definition) =>
        (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION) && ['Query', 'Mutation'].includes(definition.name.value)
          ? (definition.fields ?? []).filter((field) => field.directives?.some((directive) => directive.name.value === 'inaccessible')).map((field) => `${subgraph} ${field.name.value}`)
          : [],
      ),
    );
    expect(INTERNAL.map(({ subgraph, name }) => `${subgraph} ${name}`).sort()).toEqual(internal.sort());
  });

  it.each(INTERNAL)('$subgraph refuses $name to every user, admin too, and writes nothing', async ({ subgraph, name, query }) => {
    const before = await platform.rowCounts();
    for (const caller of ROLES) {
      const response = await platform.subgraphGql(subgraph, query(), {}, caller);
      expect(response.body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', field: `Mutation.${name}` });
      expect(response.body.data?.[name] ?? null).toBeNull();
    }
    expect(await platform.rowCounts()).toEqual(before);
  });

  it('cross-service checks run under the calling service’s own identity', async () => {
    // A marketing user may not read orders, but marketing may check an order exists.
    const response = await platform.gql(`mutation { removeOrderAttribution(campaignId: "${ids.campaign}", orderId: "${ids.order}") { id } }`, {}, 'marketing');
    expectNoErrors(response);
    expectNoErrors(await platform.gql(`mutation { attributeOrder(campaignId: "${ids.campaign}", orderId: "${ids.order}") { id } }`, {}, 'marketing'));
  });
});

describe('tokens from an identity provider (JWKS)', () => {
  let jwks: http.Server;
  let gateway: RunningServer;
  let privateKey: KeyLike;

  beforeAll(async () => {
    const keys = await generateKeyPair('RS256');
    privateKey = keys.privateKey as KeyLike;
    const publicJwk = { ...(await exportJWK(keys.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    jwks = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const { port } = jwks.address() as { port: number };
    gateway = await startGateway({
      port: 0,
      subgraphUrls: platform.subgraphUrls,
      userTokens: { issuer: 'https://idp.example', audience: 'crm', rolesClaim: 'https://crm.example/roles', jwksUrl: `http://127.0.0.1:${port}/jwks.json` },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  const idpToken = (key: KeyLike, roles: string[]) =>
    new SignJWT({ 'https://crm.example/roles': roles }).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).setSubject(DEMO_USERS.viewer.sub).setIssuer('https://idp.example').setAudience('crm').setExpirationTime('5m').sign(key);

  it('accepts a token the provider signed, with the roles in its claim', async () => {
    const response = await postGraphQL(gateway.url, `{ customer(id: "${ids.customer}") { name email } }`, {}, { authorization: `Bearer ${await idpToken(privateKey, ['VIEWER'])}` });
    expect(response.body.data).toEqual({ customer: { name: 'Ada', email: null } });
  });

  it('answers 503 when the provider’s keys cannot be fetched', async () => {
    const unreachable = await startGateway({
      port: 0,
      subgraphUrls: platform.subgraphUrls,
      userTokens: { issuer: 'https://idp.example', audience: 'crm', rolesClaim: 'roles', jwksUrl: 'http://127.0.0.1:1/jwks.json' },
    });
    try {
      const response = await postGraphQL(unreachable.url, '{ customers { totalCount } }', {}, { authorization: `Bearer ${await idpToken(privateKey, ['ADMIN'])}` });
      expect(response.status).toBe(503);
      expect(codeOf(response)).toBe('IDENTITY_PROVIDER_UNAVAILABLE');
      // Sandbox is never handed a token unless the secret is the public development one.
      const page = await (await fetch(unreachable.url, { headers: { accept: 'text/html' } })).text();
      expect(page).toContain('embeddable-sandbox');
      expect(page).not.toContain('Bearer');
      // Nor is the web console's sign-in.
      const origin = new URL(unreachable.url).origin;
      expect((await fetch(`${origin}/dev/demo-users`)).status).toBe(404);
      expect((await fetch(`${origin}/dev/demo-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":"admin"}' })).status).toBe(404);
    } finally {
      await unreachable.stop();
    }
  });

  it('hands out no demo users\' tokens in development with a secret of its own', async () => {
    const ownSecret = await startGateway({ port: 0, subgraphUrls: platform.subgraphUrls, userTokens: { issuer: 'crm-dev', audience: 'crm', rolesClaim: 'roles', secret: 'a-secret-of-this-deployment-only-0123456789' } });
    try {
      const origin = new URL(ownSecret.url).origin;
      expect((await fetch(`${origin}/dev/demo-users`)).status).toBe(404);
      const token = await fetch(`${origin}/dev/demo-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":"admin"}' });
      expect(token.status).toBe(404);
      expect(await (await fetch(ownSecret.url, { headers: { accept: 'text/html' } })).text()).not.toContain('Bearer');
    } finally {
      await ownSecret.stop();
    }
  });

  it('refuses a token signed by another key, and the development HS256 tokens', async () => {
    const other = (await generateKeyPair('RS256')).privateKey as KeyLike;
    expect((await postGraphQL(gateway.url, '{ customers { totalCount } }', {}, { authorization: `Bearer ${await idpToken(other, ['ADMIN'])}` })).status).toBe(401);
    const development = await mintDevelopmentToken('admin');
    expect((await postGraphQL(gateway.url, '{ customers { totalCount } }', {}, { authorization: `Bearer ${development}` })).status).toBe(401);
  });
});

describe('query limits', () => {
  const typenames = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `t${i}: __typename`).join(' ')} }`;

  it('counts aliases of __typename against the alias limit', async () => {
    const response = await platform.gql(typenames(31));
    expect(response.status).toBe(400);
    expect(codeOf(response)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(response.body.errors?.[0].message).toContain('Aliases limit of 30 exceeded');
  });

  it('answers 30 aliases of __typename', async () => {
    const response = await platform.gql(typenames(30));
    expectNoErrors(response);
    expect(Object.keys(response.body.data!)).toHaveLength(30);
  });
});

describe('introspection asking for isOneOf', () => {
  it('is answered by the gateway and by a subgraph called directly', async () => {
    for (const response of [await platform.gql(getIntrospectionQuery({ oneOf: true })), await platform.subgraphGql('customer', getIntrospectionQuery({ oneOf: true }))]) {
      expect(response.status).toBe(200);
      expectNoErrors(response);
    }
  });
});
