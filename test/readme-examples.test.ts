import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import { SUPERGRAPH_FILE } from '../gateway/src/compose';
import { startPlatform, type Platform } from '../dev/platform';
import { supergraphApiSchema } from '../scripts/schema-check-lib';
import { expectNoErrors, FREE_PORTS, postGraphQL, userHeaders } from './harness';
import { provisionDatabases, type TestDatabases } from './databases';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

// The README's examples run as pasted, on the demo data `npm start` loads, and answer what the
// README says they answer.
const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
const blocks = (language: string) => [...readme.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((match) => match[1]);
const operationOf = (source: string) => parse(source).definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);

let databases: TestDatabases;
let platform: Platform;
const gql = async (query: string, variables?: Record<string, unknown>) => postGraphQL(platform.gatewayUrl, query, variables, await userHeaders('admin'));
const connectionParams = async () => ({ authorization: (await userHeaders('admin')).authorization });

beforeAll(async () => {
  databases = await provisionDatabases();
  platform = await startPlatform({ databaseUrls: databases.urls, dataDir: null, ports: FREE_PORTS, seed: true });
});
afterAll(async () => {
  await platform?.stop();
  await databases?.drop();
});

it('has GraphQL examples that are each one named operation valid against the API', () => {
  const schema = supergraphApiSchema(readFileSync(SUPERGRAPH_FILE, 'utf8'));
  expect(blocks('graphql').length).toBeGreaterThanOrEqual(5);
  for (const source of blocks('graphql')) {
    const operations = operationOf(source);
    expect(operations).toHaveLength(1);
    expect(operations[0].name?.value).toEqual(expect.any(String));
    expect(validate(schema, parse(source))).toEqual([]);
  }
});

it('runs every example without variables, and the order example with the ids they return', async () => {
  const results: Record<string, any> = {};
  for (const source of blocks('graphql')) {
    const [operation] = operationOf(source);
    if (operation.variableDefinitions?.length || operation.operation === 'subscription') continue;
    const response = await gql(source);
    expectNoErrors(response);
    results[operation.name!.value] = response.body.data;
  }
  const placeOrder = blocks('graphql').find((source) => source.includes('mutation PlaceOrder'))!;
  const response = await gql(placeOrder, { customerId: results.NewCustomer.createCustomer.id, productId: results.FirstProduct.products.nodes[0].id });
  const expected = JSON.parse(blocks('json').find((source) => source.includes('"createOrder"'))!.replace('"…"', '"ID"'));
  expect({ ...response.body, data: { createOrder: { ...response.body.data!.createOrder, id: 'ID' } } }).toEqual(expected);
});

it('delivers the subscription example over graphql-ws as the README shows when the NewCustomer example runs', async () => {
  const subscription = blocks('graphql').find((source) => source.includes('subscription CustomerChanges'))!;
  const client = createClient({ url: platform.gatewayUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: await connectionParams(), retryAttempts: 0 });
  try {
    const received = new Promise<any>((resolve, reject) => {
      const unsubscribe = client.subscribe({ query: subscription }, { next: (result) => (unsubscribe(), resolve(result)), error: reject, complete: () => reject(new Error('the subscription ended')) });
    });
    // The subscription is live once the gateway has acknowledged a query on the same connection.
    await client.iterate({ query: '{ __typename }' }).next();
    expectNoErrors(await gql(blocks('graphql').find((source) => source.includes('mutation NewCustomer'))!));
    const result = await received;
    const expected = JSON.parse(blocks('json').find((source) => source.includes('"customerChanged"'))!.replace('"…"', '"ID"'));
    expect(result.extensions.eventId).toBe(result.data.customerChanged.eventId);
    expect({ data: { customerChanged: { ...result.data.customerChanged, eventId: 'ID' } } }).toEqual(expected);
  } finally {
    await client.dispose();
  }
});

it('prints tokens in shell examples without npm banners', () => {
  for (const source of blocks('sh')) expect(source).not.toMatch(/npm run token/);
});

it("shows the viewer's partial answer as the viewer gets it", async () => {
  const shell = blocks('sh').find((source) => source.includes('token -- viewer'))!;
  const query = JSON.parse(/-d '(\{.*\})'/.exec(shell)![1]).query;
  const response = await postGraphQL(platform.gatewayUrl, query, undefined, await userHeaders('viewer'));
  const withoutStacktraces = { ...response.body, errors: response.body.errors?.map(({ extensions: { stacktrace: _stacktrace, ...extensions } = {}, ...error }) => ({ ...error, extensions })) };
  expect(withoutStacktraces).toEqual(JSON.parse(blocks('json').find((source) => source.includes('"FORBIDDEN"'))!));
});
