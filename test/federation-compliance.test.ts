import { randomBytes } from 'node:crypto';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { getIntrospectionQuery, GraphQLError, parse } from 'graphql';
import { startGateway } from '../gateway/src/server';
import type { RunningServer } from '../lib/http-server';
import { postGraphQL, type GraphQLResponse } from './harness';

// Two small subgraphs that hide an enum value, an argument, a field and a type with
// @inaccessible, next to @authenticated (which the gateway strips before planning).
const CATALOG = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@inaccessible", "@authenticated"])
  enum Status { ACTIVE RETIRED SECRET @inaccessible }
  type Item @key(fields: "id") {
    id: ID!
    status: Status
    internalNote: String @inaccessible
  }
  type Vault @inaccessible { code: String }
  input VaultFilter @inaccessible { code: String }
  union SearchResult = Item | Vault
  type Query {
    items(status: Status, includeHidden: Boolean @inaccessible, vault: VaultFilter @inaccessible): [Item!]!
    search: [SearchResult!]!
    vault: Vault @inaccessible
    me: String @authenticated
    "Answers with a suggestion of its own, as a subgraph checking its input may."
    lookup(status: String): Item
  }
`;
const PRICING = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Item @key(fields: "id") { id: ID! price: Int }
`;

const ITEMS = [
  { id: '1', status: 'ACTIVE', internalNote: 'hidden note' },
  { id: '2', status: 'SECRET', internalNote: 'hidden note' },
];
const catalogResolvers = {
  Query: {
    items: (_: unknown, args: { status?: string; includeHidden?: boolean }) => ITEMS.filter((item) => !args.status || item.status === args.status),
    vault: () => ({ code: 'hidden code' }),
    search: () => [{ __typename: 'Item', ...ITEMS[0] }, { __typename: 'Vault', code: 'hidden code' }],
    me: () => 'me',
    lookup: (_: unknown, args: { status?: string }) => {
      throw new GraphQLError(`Value "${args.status}" does not exist in "Status" enum. Did you mean the enum value "SECRET" or "ACTIVE"?`, { extensions: { code: 'BAD_USER_INPUT' } });
    },
  },
  Item: { __resolveReference: (ref: { id: string }) => ITEMS.find((item) => item.id === ref.id) },
};
const pricingResolvers = { Item: { price: () => 10 } };

const servers: ApolloServer[] = [];
let gateway: RunningServer;
let catalogUrl: string;
let pricingUrl: string;
let supergraphSdl: string;

async function startSubgraph(typeDefs: string, resolvers: object): Promise<string> {
  const server = new ApolloServer({ schema: buildSubgraphSchema({ typeDefs: parse(typeDefs), resolvers: resolvers as never }) });
  servers.push(server);
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  return url;
}

beforeAll(async () => {
  catalogUrl = await startSubgraph(CATALOG, catalogResolvers);
  pricingUrl = await startSubgraph(PRICING, pricingResolvers);
  const composed = composeServices([
    { name: 'customer', url: catalogUrl, typeDefs: parse(CATALOG) },
    { name: 'sales', url: pricingUrl, typeDefs: parse(PRICING) },
  ]);
  if (composed.errors) throw new Error(composed.errors.join('\n'));
  supergraphSdl = composed.supergraphSdl;
  gateway = await startGateway({ port: 0, supergraphSdl, subgraphUrls: { customer: catalogUrl, sales: pricingUrl, marketing: pricingUrl } });
});
afterAll(async () => {
  await gateway?.stop();
  for (const server of servers) await server.stop();
});

const ask = (query: string, variables?: Record<string, unknown>) => postGraphQL(gateway.url, query, variables);
const codeOf = (response: GraphQLResponse) => response.body.errors?.[0]?.extensions?.code;

describe('@inaccessible at the gateway', () => {
  it('keeps hidden enum values, arguments, fields and types out of the API schema', async () => {
    const response = await ask(`{
      status: __type(name: "Status") { enumValues(includeDeprecated: true) { name } }
      item: __type(name: "Item") { fields { name } }
      vault: __type(name: "Vault") { name }
      union: __type(name: "SearchResult") { possibleTypes { name } }
      query: __type(name: "Query") { fields { name args { name } } }
      schema: __schema { types { name } }
    }`);
    expect(response.body.errors).toBeUndefined();
    const data = response.body.data!;
    expect(data.status.enumValues.map((value: { name: string }) => value.name)).toEqual(['ACTIVE', 'RETIRED']);
    expect(data.item.fields.map((field: { name: string }) => field.name).sort()).toEqual(['id', 'price', 'status']);
    expect(data.vault).toBeNull();
    expect(data.schema.types.map((type: { name: string }) => type.name)).not.toContain('Vault');
    const fields = Object.fromEntries(data.query.fields.map((field: { name: string; args: { name: string }[] }) => [field.name, field.args.map((arg) => arg.name)]));
    expect(fields).toEqual({ items: ['status'], search: [], me: [], lookup: ['status'] });
    expect(data.union.possibleTypes).toEqual([{ name: 'Item' }]);
    expect(JSON.stringify(data)).not.toMatch(/SECRET|internalNote|includeHidden|Vault|inaccessible/);
  });

  it.each([
    ['an inaccessible enum value', '{ items(status: SECRET) { id } }'],
    ['an inaccessible argument', '{ items(includeHidden: true) { id } }'],
    ['an inaccessible field', '{ items { id internalNote } }'],
    ['an inaccessible root field', '{ vault { code } }'],
    ['an inaccessible type in a fragment', '{ search { ... on Vault { code } } }'],
    ['an inaccessible input type as a variable type', 'query($v: VaultFilter) { items(vault: $v) { id } }'],
  ])('rejects a query naming %s with GRAPHQL_VALIDATION_FAILED', async (_case, query) => {
    const response = await ask(query);
    expect(response.status).toBe(400);
    expect(codeOf(response)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(response.body.data).toBeUndefined();
  });

  it('rejects an inaccessible enum value passed as a variable', async () => {
    const response = await ask('query($s: Status) { items(status: $s) { id } }', { s: 'SECRET' });
    expect(response.status).toBe(400);
    expect(codeOf(response)).toBe('BAD_USER_INPUT');
  });

  it('never returns an inaccessible enum value or type a subgraph answers with', async () => {
    const items = await ask('{ items { id status price } }');
    expect(JSON.stringify(items.body)).not.toContain('SECRET');
    expect(items.body.data?.items).toEqual([
      { id: '1', status: 'ACTIVE', price: 10 },
      { id: '2', status: null, price: 10 },
    ]);
    const search = await ask('{ search { __typename ... on Item { id } } }');
    expect(JSON.stringify(search.body)).not.toContain('Vault');
  });
});

// graphql-js 16.9+ answers __Type.isOneOf and tools ask for it (getIntrospectionQuery's oneOf
// option); the gateway's query planner does not know the field.
describe('introspection asking for isOneOf', () => {
  it('is answered by the gateway from the API schema', async () => {
    const response = await ask(getIntrospectionQuery({ oneOf: true }));
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    const types: { name: string; isOneOf: boolean | null }[] = response.body.data!.__schema.types;
    expect(types.find((type) => type.name === 'Item')).toMatchObject({ isOneOf: null });
    expect(types.map((type) => type.name)).not.toContain('Vault');
  });

  it('is refused with GRAPHQL_VALIDATION_FAILED, not a 500, next to fields the subgraphs answer', async () => {
    const response = await ask('{ items { id } __type(name: "Item") { name isOneOf } }');
    expect(response.status).toBe(400);
    expect(codeOf(response)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(response.body.errors?.[0].message).toContain('isOneOf');
  });

  it('leaves other introspection next to subgraph fields to the gateway', async () => {
    const response = await ask('{ items { id } __type(name: "Item") { name } __typename }');
    expect(response.body).toEqual({ data: { items: [{ id: '1' }, { id: '2' }], __type: { name: 'Item' }, __typename: 'Query' } });
  });

  it('is answered by a subgraph called directly', async () => {
    const response = await postGraphQL(catalogUrl, getIntrospectionQuery({ oneOf: true }));
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
  });
});

describe('a production gateway', () => {
  let production: RunningServer;
  const saved = { NODE_ENV: process.env.NODE_ENV, INTERNAL_JWT_SECRET: process.env.INTERNAL_JWT_SECRET };

  beforeAll(async () => {
    Object.assign(process.env, { NODE_ENV: 'production', INTERNAL_JWT_SECRET: randomBytes(32).toString('base64') });
    const userTokens = { issuer: 'crm-test', audience: 'crm-test', rolesClaim: 'roles', secret: randomBytes(32).toString('base64') };
    production = await startGateway({ port: 0, supergraphSdl, subgraphUrls: { customer: catalogUrl, sales: pricingUrl, marketing: pricingUrl }, userTokens });
  });
  afterAll(async () => {
    await production?.stop();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('passes on what a subgraph says without the names it suggests', async () => {
    const response = await postGraphQL(production.url, '{ lookup(status: "ACTIV") { id } }');
    expect(response.body.errors?.[0]).toMatchObject({ message: 'Value "ACTIV" does not exist in "Status" enum.', extensions: { code: 'BAD_USER_INPUT' } });
    expect(JSON.stringify(response.body)).not.toMatch(/did you mean|SECRET/i);
  });

  it('suggests no enum value of its own', async () => {
    const response = await postGraphQL(production.url, '{ items(status: RETIRD) { id } }');
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0].message).toBe('Value "RETIRD" does not exist in "Status" enum.');
  });
});
