import { expectNoErrors, startTestPlatform, userHeaders, type TestPlatform } from './harness';

// The limits on what clients send must not apply to what the gateway sends on their behalf,
// and a refused client still gets a GraphQL answer it can read.
let platform: TestPlatform;
beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(() => platform?.stop());

it('serves a legitimate query whose subgraph request is larger than the client body limit', async () => {
  const tags = Array.from({ length: 50 }, (_, index) => `a-long-tag-name-used-by-a-real-marketing-team-${String(index).padStart(2, '0')}`.padEnd(50, 'x'));
  await platform.sql('customer', `INSERT INTO "Customer" (id, name, tags, "updatedAt") SELECT gen_random_uuid(), 'Customer ' || n, $1::text[], now() FROM generate_series(1, 450) n`, [tags]);
  expectNoErrors(await platform.gql('mutation { createSegment(input: { name: "Tagged", rules: { tagsAny: ["a-long-tag-name-used-by-a-real-marketing-team-07xx"] } }) { id } }'));
  // 450 representations with 50 tags each: ~1.5 MB from the gateway to marketing.
  const response = await platform.gql('{ customers(first: 1000) { nodes { segments { name } } } }');
  expectNoErrors(response);
  expect(response.body.data!.customers.nodes).toHaveLength(450);
  expect(response.body.data!.customers.nodes.every((customer: { segments: { name: string }[] }) => customer.segments.some((segment) => segment.name === 'Tagged'))).toBe(true);
});

it('answers a bad token with 401 and a GraphQL error in the media type the client asked for', async () => {
  for (const accept of ['application/graphql-response+json', 'application/json']) {
    const response = await fetch(platform.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, authorization: 'Bearer not-a-token' },
      body: JSON.stringify({ query: '{ customers { totalCount } }' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain(accept);
    expect(await response.json()).toEqual({ errors: [{ message: 'The token is not valid', extensions: { code: 'UNAUTHENTICATED' } }] });
  }
});

it('answers malformed persisted-query requests with 400 BAD_REQUEST, never an internal error', async () => {
  const cases = [
    { query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } },
    { query: '{ __typename }', extensions: { persistedQuery: { version: 2, sha256Hash: 'abc' } } },
    { query: '{ __typename }', extensions: { persistedQuery: 'x' } },
  ];
  for (const body of cases) {
    const response = await fetch(platform.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...(await userHeaders()) }, body: JSON.stringify(body) });
    expect(response.status).toBe(400);
    expect((await response.json()).errors[0].extensions.code).toBe('BAD_REQUEST');
  }
});
