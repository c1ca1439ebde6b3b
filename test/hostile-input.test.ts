import { expectNoErrors, startTestPlatform, userHeaders, type TestPlatform } from './harness';

let platform: TestPlatform;
let authorization: Record<string, string>;
let customerId: string;
let expensiveProductId: string;

beforeAll(async () => {
  platform = await startTestPlatform();
  authorization = await userHeaders('admin');
  // Rows every text filter could match, so a filter that let an injection through as a
  // pattern or as SQL would find them.
  const seed = async (query: string) => {
    const response = await platform.gql(query);
    expectNoErrors(response);
    return response.body.data!;
  };
  const { createCustomer } = await seed('mutation { createCustomer(input: { name: "Ada Lovelace", email: "ada@example.com", company: "Acme", ownerId: "user-1", tags: ["vip"], status: ACTIVE }) { id } }');
  customerId = createCustomer.id;
  await seed('mutation { createProduct(input: { sku: "SEAT-1", name: "Seat", price: { amount: "10", currency: "USD" } }) { id } }');
  expensiveProductId = (await seed('mutation { createProduct(input: { sku: "YACHT-1", name: "Yacht", price: { amount: "999999999999999.99", currency: "USD" } }) { id } }')).createProduct.id;
  await seed('mutation { createCampaign(input: { name: "Launch", channel: EMAIL, budget: { amount: "5", currency: "USD" } }) { id } }');
  await seed(`mutation { createOpportunity(input: { customerId: "${createCustomer.id}", name: "Deal", amount: { amount: "1", currency: "USD" }, probability: 10, expectedCloseDate: "2027-01-01", ownerId: "user-1" }) { id } }`);
});
afterAll(() => platform?.stop());

type Answer = { status: number; body: { data?: Record<string, any> | null; errors?: { extensions?: { code?: string } }[] } | null };

async function send(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }, method = 'POST', search = ''): Promise<Answer> {
  const response = await fetch(platform.gatewayUrl + search, { method, headers: { ...authorization, ...headers }, body: method === 'GET' ? undefined : body });
  const text = await response.text();
  let parsed: Answer['body'] = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: response.status, body: parsed };
}

const graphql = (query: string, variables?: unknown) => send(JSON.stringify({ query, variables }));

// 'rejected': a 4xx, or a GraphQL error with a code a client can act on.
// 'nothing-found': the input is legal text and is searched for literally, matching nothing.
// code: the one error code the case must get, where any client code would not prove the point.
type Case = [name: string, request: () => Promise<Answer>, outcome?: 'rejected' | 'nothing-found', code?: string];

const CLIENT_CODES = ['OPERATION_RESOLUTION_FAILURE', 'BAD_REQUEST', 'BAD_USER_INPUT', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'QUERY_TOO_COMPLEX', 'NOT_FOUND'];

const malformed: Case[] = [
  ['truncated JSON', () => send('{"query": ')],
  ['a lone brace', () => send('{')],
  ['JSON null', () => send('null')],
  ['a JSON string', () => send('"{ customers { totalCount } }"')],
  ['an empty batch', () => send('[]')],
  ['a batch (batching is off)', () => send(JSON.stringify([{ query: '{ customers { totalCount } }' }, { query: '{ products { totalCount } }' }]))],
  ['a query that is a number', () => send('{"query": 123}')],
  ['variables that are a string', () => send(JSON.stringify({ query: '{ customers { totalCount } }', variables: 'oops' }))],
  ['a trailing comma', () => send('{"query": "{ customers { totalCount } }",}')],
  ['an unterminated query', () => graphql('{ customers { totalCount }')],
  ['a query of unknown fields', () => graphql('{ users { password } }')],
  ['an empty body', () => send('')],
  ['10,000 nested JSON arrays', () => send('['.repeat(10_000) + ']'.repeat(10_000))],
  ['an operation name that is not in the document', () => send(JSON.stringify({ query: 'query A { customers { totalCount } }', operationName: 'B' }))],
  ['two operations and no operation name', () => graphql('query A { customers { totalCount } } query B { products { totalCount } }')],
];

const contentTypes: Case[] = [
  ['text/plain', () => send(JSON.stringify({ query: '{ customers { totalCount } }' }), { 'content-type': 'text/plain' })],
  ['form encoding', () => send('query=%7B%20customers%20%7B%20totalCount%20%7D%20%7D', { 'content-type': 'application/x-www-form-urlencoded' })],
  ['multipart', () => send('--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ customers { totalCount } }\r\n--x--', { 'content-type': 'multipart/form-data; boundary=x' })],
  ['XML', () => send('<query>{ customers { totalCount } }</query>', { 'content-type': 'application/xml' })],
  ['no content type', () => send(JSON.stringify({ query: '{ customers { totalCount } }' }), {})],
  ['application/graphql', () => send('{ customers { totalCount } }', { 'content-type': 'application/graphql' })],
  ['a GET without a CSRF preflight header', () => send('', {}, 'GET', `?query=${encodeURIComponent('{ customers { totalCount } }')}`)],
  ['a mutation over GET', () => send('', { 'apollo-require-preflight': 'true' }, 'GET', `?query=${encodeURIComponent('mutation { createCustomer(input: { name: "via GET" }) { id } }')}`)],
];

const nested = (levels: number) => {
  let selection = 'id';
  for (let level = 0; level < levels; level += 1) selection = level % 2 ? `contacts { nodes { ${selection} } }` : `customer { ${selection} }`;
  return `{ contact(id: "00000000-0000-4000-8000-000000000000") { ${selection} } }`;
};

const sizes: Case[] = [
  ['100-level nesting', () => graphql(nested(100))],
  ['10,000 aliases', () => graphql(`{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: customers { totalCount }`).join(' ')} }`)],
  ['31 aliases', () => graphql(`{ ${Array.from({ length: 31 }, (_, i) => `a${i}: products { totalCount }`).join(' ')} }`)],
  ['10,000 repeated fields', () => graphql(`{ customers { ${'totalCount '.repeat(10_000)} } }`)],
  ['a 1 MB string', () => graphql('mutation($name: String!) { createCustomer(input: { name: $name }) { id } }', { name: 'x'.repeat(1024 * 1024) })],
  ['a 500 kB name', () => graphql('mutation($name: String!) { createCustomer(input: { name: $name }) { id } }', { name: 'x'.repeat(500 * 1024) })],
  ['a 500 kB search', () => graphql('query($search: String) { customers(filter: { search: $search }) { totalCount } }', { search: 'x'.repeat(500 * 1024) })],
  ['a fragment cycle', () => graphql('query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }')],
  ['100 directives', () => graphql(`{ customers { totalCount ${'@include(if: true) '.repeat(100)} } }`)],
  ['pages multiplied past the cost limit', () => graphql('{ customers(first: 1000) { nodes { orders(first: 1000) { nodes { id } } } } }'), 'rejected', 'QUERY_TOO_COMPLEX'],
  ['page sizes multiplied through variables', () => graphql('query($n: Int) { customers(first: $n) { nodes { orders(first: $n) { nodes { id } } } } }', { n: 1000 }), 'rejected', 'QUERY_TOO_COMPLEX'],
  ['a page of a million', () => graphql('{ customers(first: 1000000) { totalCount } }')],
  ['a negative page on an alias to offset its siblings’ cost', () => graphql('{ customers(first: 1000) { nodes { orders(first: 1000) { nodes { id } } x: orders(first: -2000000) { totalCount } } } }'), 'rejected', 'QUERY_TOO_COMPLEX'],
  ['null page sizes (the default, 20, each) nested past the cost limit', () => graphql('{ customers(first: 1000) { nodes { orders(first: null) { nodes { customer { orders(first: null) { nodes { customer { orders(first: null) { nodes { id } } } } } } } } } } }'), 'rejected', 'QUERY_TOO_COMPLEX'],
];

const createCustomer = 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }';
const createOpportunity = 'mutation($input: CreateOpportunityInput!) { createOpportunity(input: $input) { id } }';
const opportunity = (input: object) => ({ input: { customerId: '00000000-0000-4000-8000-000000000000', name: 'X', amount: { amount: '1', currency: 'USD' }, probability: 10, expectedCloseDate: '2027-01-01', ...input } });
const createOrder = 'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id } }';
const orderLine = (line: object) => ({ input: { customerId: '00000000-0000-4000-8000-000000000000', items: [{ productId: '00000000-0000-4000-8000-000000000000', quantity: 1, ...line }] } });

const wrongTypes: Case[] = [
  ['first as a string', () => graphql('query($n: Int) { customers(first: $n) { totalCount } }', { n: 'ten' })],
  ['first negative', () => graphql('{ customers(first: -1) { totalCount } }')],
  ['first fractional', () => graphql('query($n: Int) { customers(first: $n) { totalCount } }', { n: 1.5 })],
  ['first beyond 32 bits', () => graphql('query($n: Int) { customers(first: $n) { totalCount } }', { n: 2 ** 40 })],
  ['an ID that is an object', () => graphql('query($id: ID!) { customer(id: $id) { id } }', { id: { $ne: null } })],
  ['an ID that is a boolean', () => graphql('query($id: ID!) { customer(id: $id) { id } }', { id: true })],
  ['an ID that is a number', () => graphql('query($id: ID!) { customer(id: $id) { id } }', { id: 123 })],
  ['an unknown enum value', () => graphql(createCustomer, { input: { name: 'X', status: 'SUPERUSER' } })],
  ['an enum in lower case', () => graphql('{ customers(filter: { status: [active] }) { totalCount } }')],
  ['a boolean as a string', () => graphql('query($f: CustomerFilter) { customers(filter: $f) { totalCount } }', { f: { includeArchived: 'yes' } })],
  ['a date that is not one', () => graphql('query($f: CustomerFilter) { customers(filter: $f) { totalCount } }', { f: { createdAfter: 'yesterday' } })],
  ['a date literal that is not one', () => graphql('{ customers(filter: { createdBefore: "2025-13-45T99:00:00Z" }) { totalCount } }')],
  ['an input field that does not exist', () => graphql(createCustomer, { input: { name: 'X', isAdmin: true } })],
  ['a required field missing', () => graphql(createCustomer, { input: { email: 'x@example.com' } })],
  ['a required field null', () => graphql(createCustomer, { input: { name: null } })],
  ['a list where an object belongs', () => graphql(createCustomer, { input: [{ name: 'X' }] })],
  ['tags that are objects', () => graphql(createCustomer, { input: { name: 'X', tags: [{ a: 1 }] } })],
  ['a quantity as a string', () => graphql(createOrder, orderLine({ quantity: '2' }))],
  ['a fractional quantity', () => graphql(createOrder, orderLine({ quantity: 2.5 }))],
  ['a zero quantity', () => graphql(createOrder, orderLine({ quantity: 0 }))],
  ['a probability above 100', () => graphql(createOpportunity, opportunity({ probability: 101 }))],
  ['a negative probability', () => graphql(createOpportunity, opportunity({ probability: -1 }))],
  ['a probability as a string', () => graphql(createOpportunity, opportunity({ probability: '50' }))],
  ['a close date that does not exist', () => graphql(createOpportunity, opportunity({ expectedCloseDate: '2027-02-30' }))],
  ['a close date in another format', () => graphql(createOpportunity, opportunity({ expectedCloseDate: '01/31/2027' }))],
  ['an email that is not one', () => graphql(createCustomer, { input: { name: 'X', email: 'ada@@example' } })],
  ['a date in the year 0', () => graphql('query($f: CustomerFilter) { customers(filter: $f) { totalCount } }', { f: { createdAfter: '0000-01-01T00:00:00Z' } })],
  ['a date in the year 0 in a write', () => graphql('mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id } }', { input: { customerId, type: 'CALL', subject: 'X', occurredAt: '0000-06-01T00:00:00Z' } })],
  ['a close date in the year 0', () => graphql(createOpportunity, opportunity({ customerId, expectedCloseDate: '0000-01-01' }))],
  ['an order total beyond what an amount can hold', () => graphql(createOrder, { input: { customerId, items: [{ productId: expensiveProductId, quantity: 100_000 }] } })],
];

const INJECTIONS = [`' OR '1'='1`, `"; DROP TABLE "Customer"; --`, `') OR 1=1 --`, '%', '_', '\\', '$1', '{"$ne": null}', '<script>alert(1)</script>', '${7*7}'];

// Every free-text filter the API offers, with the list it filters.
const TEXT_FILTERS: { name: string; query: string; variables: (text: string) => object }[] = [
  { name: 'customers.search', query: 'query($f: CustomerFilter) { result: customers(filter: $f) { totalCount } }', variables: (text) => ({ f: { search: text } }) },
  { name: 'customers.company', query: 'query($f: CustomerFilter) { result: customers(filter: $f) { totalCount } }', variables: (text) => ({ f: { company: text } }) },
  { name: 'customers.ownerId', query: 'query($f: CustomerFilter) { result: customers(filter: $f) { totalCount } }', variables: (text) => ({ f: { ownerId: text } }) },
  { name: 'customers.tags', query: 'query($f: CustomerFilter) { result: customers(filter: $f) { totalCount } }', variables: (text) => ({ f: { tags: [text] } }) },
  { name: 'products.search', query: 'query($f: ProductFilter) { result: products(filter: $f) { totalCount } }', variables: (text) => ({ f: { search: text } }) },
  { name: 'campaigns.search', query: 'query($f: CampaignFilter) { result: campaigns(filter: $f) { totalCount } }', variables: (text) => ({ f: { search: text } }) },
  { name: 'opportunities.ownerId', query: 'query($f: OpportunityFilter) { result: opportunities(filter: $f) { totalCount } }', variables: (text) => ({ f: { ownerId: text } }) },
];

const injections: Case[] = [
  ...TEXT_FILTERS.flatMap(({ name, query, variables }) =>
    INJECTIONS.map((text): Case => [`${JSON.stringify(text)} in ${name}`, () => graphql(query, variables(text)), 'nothing-found']),
  ),
  ...INJECTIONS.slice(0, 3).map((text): Case => [`${JSON.stringify(text)} as a close date`, () => graphql('query($from: String) { opportunities(filter: { closingFrom: $from }) { totalCount } }', { from: text })]),
  ...INJECTIONS.slice(0, 3).map((text): Case => [`${JSON.stringify(text)} as a cursor`, () => graphql('query($after: String) { customers(after: $after) { totalCount } }', { after: text })]),
];

const ENTITY_QUERIES = ['customer', 'contact', 'interaction', 'product', 'order', 'opportunity', 'campaign', 'segment'];
const invalidIds: Case[] = ENTITY_QUERIES.flatMap((field) =>
  [`1 OR 1=1`, '../../etc/passwd', '', '00000000-0000-4000-8000-00000000000Z'].map((id): Case => [`${JSON.stringify(id)} as a ${field} ID`, () => graphql(`query($id: ID!) { ${field}(id: $id) { id } }`, { id })]),
);

const createProduct = 'mutation($price: MoneyInput!) { createProduct(input: { sku: "NEW-1", name: "New", price: $price }) { id } }';
const money: Case[] = [
  ...['-1', '-0.01', '1e3', 'NaN', 'Infinity', '0x10', '1.23456', ' 5', '1,000.00', '99999999999999999999'].map((amount): Case => [`price ${JSON.stringify(amount)}`, () => graphql(createProduct, { price: { amount, currency: 'USD' } })]),
  ...['usd', 'XXXX', 'ZZZ', ''].map((currency): Case => [`currency ${JSON.stringify(currency)}`, () => graphql(createProduct, { price: { amount: '1', currency } })]),
  ['a negative deal amount', () => graphql(createOpportunity, opportunity({ amount: { amount: '-100', currency: 'USD' } }))],
  ['a negative campaign budget', () => graphql('mutation { createCampaign(input: { name: "X", channel: EMAIL, budget: { amount: "-5", currency: "USD" } }) { id } }')],
  ['a price as a number', () => graphql(createProduct, { price: { amount: 10, currency: 'USD' } })],
];

const unicode: Case[] = [
  ['a NUL in a name', () => graphql(createCustomer, { input: { name: 'Ada\u0000Lovelace' } })],
  ['a lone high surrogate', () => graphql(createCustomer, { input: { name: 'Ada \ud800' } })],
  ['a lone low surrogate', () => graphql(createCustomer, { input: { name: '\udc00 Ada' } })],
  ['a name of zero-width spaces', () => graphql(createCustomer, { input: { name: '\u200b\u200b\u200b' } })],
  ['a name of a right-to-left override', () => graphql(createCustomer, { input: { name: '\u202e' } })],
  ['a name of a byte-order mark', () => graphql(createCustomer, { input: { name: '\ufeff' } })],
  ['a name of combining marks', () => graphql(createCustomer, { input: { name: '\u0301\u0301\u0301' } })],
  ['a name of 201 emoji (the limit is 200 characters)', () => graphql(createCustomer, { input: { name: '😀'.repeat(201) } })],
  ['an email with Cyrillic look-alikes', () => graphql(createCustomer, { input: { name: 'X', email: 'аdmin@exаmple.com' } })],
  ['a NUL in a search', () => graphql('query($s: String) { customers(filter: { search: $s }) { totalCount } }', { s: 'Ada\u0000' })],
  ['a NUL in a tag', () => graphql(createCustomer, { input: { name: 'X', tags: ['v\u0000ip'] } })],
  ['a right-to-left search', () => graphql('query($s: String) { result: customers(filter: { search: $s }) { totalCount } }', { s: '\u202eecalevoL' }), 'nothing-found'],
  ['an emoji search', () => graphql('query($s: String) { result: customers(filter: { search: $s }) { totalCount } }', { s: '👩‍💻' }), 'nothing-found'],
  ['a search in another script', () => graphql('query($s: String) { result: customers(filter: { search: $s }) { totalCount } }', { s: 'アダ' }), 'nothing-found'],
];

const CASES: Case[] = [...malformed, ...contentTypes, ...sizes, ...wrongTypes, ...injections, ...invalidIds, ...money, ...unicode];

describe('hostile input', () => {
  it('has at least 100 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(100);
  });

  it.each(CASES)('%s: refused or harmless, never a 500, nothing written', async (_name, request, outcome = 'rejected', expectedCode) => {
    const before = await platform.rowCounts();
    const answer = await request();
    expect(answer.status).toBeLessThan(500);
    const code = answer.body?.errors?.[0]?.extensions?.code;
    if (expectedCode) expect(code).toBe(expectedCode);
    if (outcome === 'nothing-found') {
      expect(answer.status).toBe(200);
      expect(answer.body?.errors).toBeUndefined();
      expect(answer.body?.data?.result.totalCount).toBe(0);
    } else if (answer.status === 200) {
      expect(CLIENT_CODES).toContain(code);
    } else {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      if (code !== undefined) expect(code).not.toBe('INTERNAL_SERVER_ERROR');
    }
    expect(await platform.rowCounts()).toEqual(before);
  });

  it('still answers normally afterwards', async () => {
    const response = await platform.gql('{ customers(filter: { search: "Ada" }) { totalCount } }');
    expect(response.body.data).toEqual({ customers: { totalCount: 1 } });
  });
});

// A cursor crafted with the right list and sort order but a value of another type (or one
// its type cannot hold) must be refused like any other bad cursor, on every list and sort.
describe('crafted cursors', () => {
  type ValueType = 'date' | 'bigint' | 'string';
  type SortedList = { name: string; sort: string; type: ValueType; query: string };

  const top = (field: string, list: string, orderBy: [string, string, ValueType][], directions = ['ASC', 'DESC']): SortedList[] =>
    orderBy.flatMap(([enumValue, column, type]) =>
      directions.map((direction) => ({
        name: `${field} by ${enumValue} ${direction}`,
        sort: `${list}.${column}:${direction}`,
        type,
        query: `query($after: String) { ${field}(first: 1, after: $after${enumValue ? `, orderBy: { field: ${enumValue}, direction: ${direction} }` : ''}) { nodes { id } } }`,
      })),
    );
  const nested = (parent: 'customer' | 'campaign', field: string, list: string, column: string): SortedList => ({
    name: `${parent}.${field}`,
    sort: `${list}.${column}:DESC`,
    type: 'date',
    query: `query($id: ID!, $after: String) { ${parent}(id: $id) { ${field}(first: 1, after: $after) { nodes { id } } } }`,
  });

  const LISTS: SortedList[] = [
    ...top('customers', 'Customer', [['NAME', 'name', 'string'], ['CREATED_AT', 'createdAt', 'date'], ['UPDATED_AT', 'updatedAt', 'date']]),
    ...top('products', 'Product', [['NAME', 'name', 'string'], ['CREATED_AT', 'createdAt', 'date']]),
    ...top('orders', 'Order', [['CREATED_AT', 'createdAt', 'date'], ['TOTAL', 'totalMinor', 'bigint']]),
    ...top('opportunities', 'Opportunity', [['CREATED_AT', 'createdAt', 'date'], ['EXPECTED_CLOSE_DATE', 'expectedCloseDate', 'date'], ['AMOUNT', 'amountMinor', 'bigint']]),
    ...top('campaigns', 'Campaign', [['NAME', 'name', 'string'], ['CREATED_AT', 'createdAt', 'date'], ['STARTS_AT', 'startsAt', 'date']]),
    ...top('segments', 'Segment', [['', 'createdAt', 'date']], ['DESC']),
    nested('customer', 'contacts', 'Contact', 'createdAt'),
    nested('customer', 'interactions', 'Interaction', 'occurredAt'),
    nested('customer', 'orders', 'Order', 'createdAt'),
    nested('customer', 'opportunities', 'Opportunity', 'createdAt'),
    nested('campaign', 'members', 'CampaignMember', 'createdAt'),
    nested('campaign', 'responses', 'CampaignResponse', 'occurredAt'),
  ];

  const ID = '00000000-0000-4000-8000-000000000000';
  const cursor = (sort: string, tag: string, text: string, id = ID) => Buffer.from(JSON.stringify([sort, tag, text, id])).toString('base64url');
  // The value a cursor of each type holds when it is right, and values that are wrong for it.
  const GOOD: Record<ValueType, [string, string]> = { date: ['d', '2024-01-01T00:00:00.000Z'], bigint: ['b', '1200'], string: ['s', 'M'] };
  const OTHER_TYPES: [string, string][] = [['s', 'yesterday'], ['n', '1.5'], ['n', '12'], ['d', '2024-01-01T00:00:00.000Z'], ['b', '12']];
  const BAD_OF_TYPE: Record<ValueType, [string, string][]> = {
    date: [['d', 'yesterday'], ['d', '0000-01-01T00:00:00.000Z'], ['d', '+275760-09-13T00:00:00.000Z'], ['d', '2024-02-30T00:00:00.000Z'], ['d', '1712345678901']],
    bigint: [['b', '1.5'], ['b', '9223372036854775808'], ['b', '-9223372036854775809'], ['b', '']],
    string: [['s', 'x\u0000y'], ['s', 'x\ud800'], ['s', 'x'.repeat(5_000)]],
  };

  let ids: { customer: string; campaign: string };
  beforeAll(async () => {
    const campaigns = await platform.gql('{ campaigns(first: 1) { nodes { id } } }');
    expectNoErrors(campaigns);
    ids = { customer: customerId, campaign: campaigns.body.data!.campaigns.nodes[0].id };
  });

  const variables = (list: SortedList, after: string) => ({ after, ...(list.query.includes('$id') ? { id: ids[list.name.split('.')[0] as 'customer' | 'campaign'] } : {}) });

  it.each(LISTS.map((list) => [list.name, list] as const))('%s: a cursor of the right type is accepted, every other value answers BAD_USER_INPUT on after', async (_name, list) => {
    const good = await platform.gql(list.query, variables(list, cursor(list.sort, ...GOOD[list.type])));
    expectNoErrors(good);
    const wrong = [
      ...OTHER_TYPES.filter(([tag]) => tag !== GOOD[list.type][0]).map(([tag, text]) => cursor(list.sort, tag, text)),
      ...BAD_OF_TYPE[list.type].map(([tag, text]) => cursor(list.sort, tag, text)),
      cursor(list.sort, ...GOOD[list.type], '-'.repeat(36)),
    ];
    const before = await platform.rowCounts();
    for (const after of wrong) {
      const answer = await platform.gql(list.query, variables(list, after));
      expect({ after: Buffer.from(after, 'base64url').toString().slice(0, 100), status: answer.status, extensions: answer.body.errors?.[0]?.extensions }).toMatchObject({
        status: 200,
        extensions: { code: 'BAD_USER_INPUT', field: 'after' },
      });
    }
    expect(await platform.rowCounts()).toEqual(before);
  });
});
