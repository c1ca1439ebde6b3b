import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { startGateway } from '../gateway/src/server';
import { loadSettings } from '../lib/config';
import type { RunningServer } from '../lib/http-server';
import { postGraphQL } from './harness';

// Two GraphQL Yoga subgraphs: Yoga answers a hash-only (APQ) request with HTTP 200 and
// "Must provide query string.", as most servers that are not Apollo's do.
const PEOPLE = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Person @key(fields: "id") { id: ID! name: String! }
  type Query { people: [Person!]! }
`;
const BADGES = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Person @key(fields: "id") { id: ID! badges: [String!]! }
`;
const PEOPLE_ROWS = [
  { id: '1', name: 'Ada' },
  { id: '2', name: 'Grace' },
];

type RequestBody = { query?: string; extensions?: { persistedQuery?: unknown } };
type YogaSubgraph = { url: string; received: RequestBody[]; server: Server };

// Records every body the gateway sends, so a test can count hash-only requests.
async function startYogaSubgraph(typeDefs: string, resolvers: object): Promise<YogaSubgraph> {
  const yoga = createYoga({ schema: buildSubgraphSchema({ typeDefs: parse(typeDefs), resolvers: resolvers as never }), graphqlEndpoint: '/graphql', logging: false });
  const received: RequestBody[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    received.push(JSON.parse(body));
    const response = await yoga.fetch(`http://localhost${req.url}`, { method: req.method, headers: req.headers as Record<string, string>, body });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(await response.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, received, server };
}

const QUERY = '{ people { name badges } }';
const FULL_ANSWER = { people: [{ name: 'Ada', badges: ['pioneer'] }, { name: 'Grace', badges: ['pioneer'] }] };
const hashOnly = (subgraph: YogaSubgraph) => subgraph.received.filter((body) => body.extensions?.persistedQuery && !body.query).length;

let people: YogaSubgraph;
let badges: YogaSubgraph;
let supergraphSdl: string;
const gateways: RunningServer[] = [];

beforeAll(async () => {
  people = await startYogaSubgraph(PEOPLE, {
    Query: { people: () => PEOPLE_ROWS },
    Person: { __resolveReference: (ref: { id: string }) => PEOPLE_ROWS.find((row) => row.id === ref.id) },
  });
  badges = await startYogaSubgraph(BADGES, { Person: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }), badges: () => ['pioneer'] } });
  const composed = composeServices([
    { name: 'customer', url: people.url, typeDefs: parse(PEOPLE) },
    { name: 'marketing', url: badges.url, typeDefs: parse(BADGES) },
  ]);
  if (composed.errors) throw new Error(composed.errors.join('\n'));
  supergraphSdl = composed.supergraphSdl;
});
afterAll(async () => {
  for (const gateway of gateways) await gateway.stop();
  for (const subgraph of [people, badges]) if (subgraph) await new Promise((resolve) => subgraph.server.close(resolve));
});

async function gatewayOver(apq?: boolean): Promise<RunningServer> {
  const resilience = apq === undefined ? undefined : { customer: { ...loadSettings().resilience.customer, apq }, marketing: { ...loadSettings().resilience.marketing, apq } };
  const gateway = await startGateway({ port: 0, supergraphSdl, subgraphUrls: { customer: people.url, marketing: badges.url }, resilience });
  gateways.push(gateway);
  return gateway;
}

describe('subgraphs that do not speak automatic persisted queries', () => {
  it('get full queries by default, so a GraphQL Yoga subgraph answers', async () => {
    const gateway = await gatewayOver();
    const before = { people: people.received.length, badges: badges.received.length };
    const response = await postGraphQL(gateway.url, QUERY);
    expect(response.body).toEqual({ data: FULL_ANSWER });
    expect(people.received.length - before.people).toBe(1);
    expect(badges.received.length - before.badges).toBe(1);
    expect(hashOnly(people) + hashOnly(badges)).toBe(0);
  });

  it('with APQ turned on, get the full query after their first refusal of a hash, and no hash after that', async () => {
    const gateway = await gatewayOver(true);
    for (let n = 0; n < 3; n++) expect((await postGraphQL(gateway.url, QUERY)).body).toEqual({ data: FULL_ANSWER });
    expect((await postGraphQL(gateway.url, '{ people { id } }')).body).toEqual({ data: { people: [{ id: '1' }, { id: '2' }] } });
    expect(hashOnly(people)).toBe(1);
    expect(hashOnly(badges)).toBe(1);
  });
});
