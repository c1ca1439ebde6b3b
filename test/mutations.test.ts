import { expectNoErrors, startTestPlatform, type GraphQLResponse, type TestPlatform } from './harness';

let platform: TestPlatform;

async function run(query: string, variables: Record<string, unknown> = {}) {
  const response = await platform.gql(query, variables);
  expectNoErrors(response);
  return response.body.data!;
}

async function expectRejected(query: string, variables: Record<string, unknown>, code: string, field?: string): Promise<GraphQLResponse> {
  const before = await platform.rowCounts();
  const response = await platform.gql(query, variables);
  expect(response.status).toBeLessThan(500);
  expect(response.body.errors?.[0]?.extensions).toMatchObject({ code, ...(field ? { field } : {}) });
  if (field) expect(response.body.errors![0].message).toContain(field.split('.').pop());
  expect(await platform.rowCounts()).toEqual(before);
  return response;
}

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const createCustomer = 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id name email status tags archived } }';
const createOrder = 'mutation($input: CreateOrderInput!) { createOrder(input: $input) { id status total { amount } } }';
const createProduct = 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id sku price { amount currency } active } }';

beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(() => platform?.stop());

describe('customer mutations', () => {
  it('creates, updates, archives, restores and deletes a customer with contacts and interactions', async () => {
    const { createCustomer: customer } = await run(createCustomer, { input: { name: 'Grace Hopper', email: 'Grace@Navy.example', tags: ['vip'] } });
    expect(customer).toMatchObject({ name: 'Grace Hopper', email: 'grace@navy.example', status: 'LEAD', tags: ['vip'], archived: false });

    const { updateCustomer } = await run('mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { status company phone } }', {
      id: customer.id,
      input: { status: 'ACTIVE', company: 'US Navy', phone: '+1 555 0100' },
    });
    expect(updateCustomer).toEqual({ status: 'ACTIVE', company: 'US Navy', phone: '+1 555 0100' });

    const { createContact } = await run('mutation($input: CreateContactInput!) { createContact(input: $input) { id name customer { name } } }', {
      input: { customerId: customer.id, name: 'Assistant', email: 'a@navy.example' },
    });
    expect(createContact.customer.name).toBe('Grace Hopper');
    const { updateContact } = await run('mutation($id: ID!, $input: UpdateContactInput!) { updateContact(id: $id, input: $input) { title } }', {
      id: createContact.id,
      input: { title: 'Chief of staff' },
    });
    expect(updateContact.title).toBe('Chief of staff');
    const { logInteraction } = await run('mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id type subject } }', {
      input: { customerId: customer.id, type: 'CALL', subject: 'Intro call' },
    });
    expect(logInteraction).toMatchObject({ type: 'CALL', subject: 'Intro call' });
    const timeline = await run('query($id: ID!) { customer(id: $id) { interactions(type: CALL) { totalCount nodes { subject } } } }', { id: customer.id });
    expect(timeline.customer.interactions).toEqual({ totalCount: 1, nodes: [{ subject: 'Intro call' }] });

    expect((await run('mutation($id: ID!) { archiveCustomer(id: $id) { archived archivedAt } }', { id: customer.id })).archiveCustomer.archived).toBe(true);
    expect((await run('{ customers { totalCount } }')).customers.totalCount).toBe(0);
    expect((await run('{ customers(filter: { includeArchived: true }) { totalCount } }')).customers.totalCount).toBe(1);
    expect((await run('mutation($id: ID!) { restoreCustomer(id: $id) { archived } }', { id: customer.id })).restoreCustomer.archived).toBe(false);

    expect((await run('mutation($id: ID!) { deleteInteraction(id: $id) }', { id: logInteraction.id })).deleteInteraction).toBe(logInteraction.id);
    expect((await run('mutation($id: ID!) { deleteContact(id: $id) }', { id: createContact.id })).deleteContact).toBe(createContact.id);
    expect((await run('mutation($id: ID!) { deleteCustomer(id: $id) }', { id: customer.id })).deleteCustomer).toBe(customer.id);
    expect((await run('query($id: ID!) { customer(id: $id) { id } }', { id: customer.id })).customer).toBeNull();
  });

  it('rejects invalid customers without writing anything', async () => {
    await expectRejected(createCustomer, { input: { name: 'Bad', email: 'not-an-email' } }, 'BAD_USER_INPUT', 'input.email');
    await expectRejected(createCustomer, { input: { name: '   ' } }, 'BAD_USER_INPUT', 'input.name');
    await expectRejected(createCustomer, { input: { name: 'Bad', phone: 'DROP TABLE' } }, 'BAD_USER_INPUT', 'input.phone');
    await expectRejected(createCustomer, { input: { name: 'Bad', status: 'NOPE' } }, 'BAD_USER_INPUT');
    await expectRejected('mutation { updateCustomer(id: "nope", input: {}) { id } }', {}, 'BAD_USER_INPUT', 'id');
    await expectRejected(`mutation { updateCustomer(id: "${UNKNOWN}", input: { name: "X" }) { id } }`, {}, 'NOT_FOUND', 'id');
    await expectRejected(`mutation { createContact(input: { customerId: "${UNKNOWN}", name: "X" }) { id } }`, {}, 'BAD_USER_INPUT', 'input.customerId');
  });

  it('names every invalid field of an input at once, so a form can mark them all after one attempt', async () => {
    const response = await expectRejected(createCustomer, { input: { name: '  ', email: 'not-an-email', phone: 'abc', tags: ['ok', ''] } }, 'BAD_USER_INPUT', 'input.name');
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors![0].extensions!.invalidFields).toEqual([
      { field: 'input.name', message: 'must not be empty' },
      { field: 'input.email', message: 'must be a valid email address' },
      { field: 'input.phone', message: 'must be a phone number such as +1 555 0100' },
      { field: 'input.tags.1', message: 'must not be empty' },
    ]);
    const { createCustomer: customer } = await run(createCustomer, { input: { name: 'Nameless later' } });
    const renamed = await expectRejected('mutation($id: ID!) { updateCustomer(id: $id, input: { name: null }) { id } }', { id: customer.id }, 'BAD_USER_INPUT', 'input.name');
    expect(renamed.body.errors![0].message).toBe('input.name: must not be null');
  });

  it('names the place in a variable that GraphQL itself refused, as other input errors do', async () => {
    await expectRejected(createOrder, { input: { customerId: UNKNOWN, items: [{ productId: UNKNOWN, quantity: null }] } }, 'BAD_USER_INPUT', 'input.items.0.quantity');
    await expectRejected(createCustomer, { input: { name: 'Ada', status: 'VIP' } }, 'BAD_USER_INPUT', 'input.status');
    await expectRejected(createCustomer, {}, 'BAD_USER_INPUT', 'input');
    // Named from the argument down, whatever the client called its variables.
    await expectRejected('mutation($customer: ID!, $lines: [OrderItemInput!]!) { createOrder(input: { customerId: $customer, items: $lines }) { id } }', { customer: UNKNOWN, lines: [{ productId: UNKNOWN, quantity: 1.5 }] }, 'BAD_USER_INPUT', 'input.items.0.quantity');
  });

  it('refuses a duplicate email and a move back down the funnel, naming the moves it allows', async () => {
    const { createCustomer: customer } = await run(createCustomer, { input: { name: 'Unique', email: 'unique@example.com', status: 'ACTIVE' } });
    await expectRejected(createCustomer, { input: { name: 'Copy', email: 'UNIQUE@example.com' } }, 'CONFLICT', 'input.email');
    const backwards = await expectRejected('mutation($id: ID!) { updateCustomer(id: $id, input: { status: LEAD }) { id } }', { id: customer.id }, 'BAD_USER_INPUT', 'input.status');
    expect(backwards.body.errors![0].message).toBe('input.status: a customer that is ACTIVE cannot become LEAD; it can become CHURNED');
    // What the console's status select offers, read from the same rule.
    expect((await run('query($id: ID!) { customer(id: $id) { nextStatuses } }', { id: customer.id })).customer.nextStatuses).toEqual(['CHURNED']);
    const { createCustomer: lead } = await run(createCustomer, { input: { name: 'New lead' } });
    expect((await run('query($id: ID!) { customer(id: $id) { nextStatuses } }', { id: lead.id })).customer.nextStatuses).toEqual(['PROSPECT', 'ACTIVE', 'CHURNED']);
  });
});

describe('sales mutations', () => {
  let customerId: string;
  let productId: string;

  beforeAll(async () => {
    customerId = (await run(createCustomer, { input: { name: 'Buyer' } })).createCustomer.id;
    productId = (await run(createProduct, { input: { sku: 'kbd-1', name: 'Keyboard', price: { amount: '49.99', currency: 'USD' } } })).createProduct.id;
  });

  it('manages products', async () => {
    const { createProduct: product } = await run(createProduct, { input: { sku: 'mouse-1', name: 'Mouse', price: { amount: '5', currency: 'EUR' } } });
    expect(product).toMatchObject({ sku: 'MOUSE-1', price: { amount: '5.00', currency: 'EUR' }, active: true });
    const { updateProduct } = await run('mutation($id: ID!) { updateProduct(id: $id, input: { active: false, price: { amount: "6.10", currency: "EUR" } }) { active price { amount } } }', {
      id: product.id,
    });
    expect(updateProduct).toEqual({ active: false, price: { amount: '6.10' } });
    await expectRejected(createProduct, { input: { sku: 'MOUSE-1', name: 'Again', price: { amount: '1', currency: 'EUR' } } }, 'CONFLICT', 'input.sku');
    await expectRejected(createProduct, { input: { sku: 'NEG', name: 'Negative', price: { amount: '-1.00', currency: 'USD' } } }, 'BAD_USER_INPUT', 'input.price.amount');
    expect((await run('mutation($id: ID!) { deleteProduct(id: $id) }', { id: product.id })).deleteProduct).toBe(product.id);
  });

  it('creates an order for a known customer, moves it through its flow, and deletes a cancelled one', async () => {
    const { createOrder: order } = await run(createOrder, { input: { customerId, items: [{ productId, quantity: 2 }] } });
    expect(order).toMatchObject({ status: 'DRAFT', total: { amount: '99.98' } });
    for (const status of ['PLACED', 'PAID', 'FULFILLED']) {
      const { updateOrderStatus } = await run('mutation($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { status placedAt } }', { id: order.id, status });
      expect(updateOrderStatus.status).toBe(status);
      expect(updateOrderStatus.placedAt).not.toBeNull();
    }
    await expectRejected('mutation($id: ID!) { updateOrderStatus(id: $id, status: CANCELLED) { id } }', { id: order.id }, 'BAD_USER_INPUT', 'status');
    await expectRejected('mutation($id: ID!) { deleteOrder(id: $id) }', { id: order.id }, 'CONFLICT', 'id');
    await expectRejected('mutation($id: ID!) { deleteProduct(id: $id) }', { id: productId }, 'CONFLICT', 'id');

    const { createOrder: draft } = await run(createOrder, { input: { customerId, items: [{ productId, quantity: 1 }] } });
    await run('mutation($id: ID!) { updateOrderStatus(id: $id, status: CANCELLED) { id } }', { id: draft.id });
    expect((await run('mutation($id: ID!) { deleteOrder(id: $id) }', { id: draft.id })).deleteOrder).toBe(draft.id);
  });

  it('rejects orders for unknown customers or products and negative quantities, writing nothing', async () => {
    await expectRejected(createOrder, { input: { customerId: UNKNOWN, items: [{ productId, quantity: 1 }] } }, 'BAD_USER_INPUT', 'input.customerId');
    await expectRejected(createOrder, { input: { customerId, items: [{ productId: UNKNOWN, quantity: 1 }] } }, 'BAD_USER_INPUT', 'input.items.0.productId');
    await expectRejected(createOrder, { input: { customerId, items: [{ productId, quantity: -3 }] } }, 'BAD_USER_INPUT', 'input.items.0.quantity');
    await expectRejected(createOrder, { input: { customerId, items: [] } }, 'BAD_USER_INPUT', 'input.items');
    await expectRejected(createOrder, { input: { customerId: 'abc', items: [{ productId, quantity: 1 }] } }, 'BAD_USER_INPUT', 'input.customerId');
  });

  it('refuses orders for an archived customer', async () => {
    const archived = (await run(createCustomer, { input: { name: 'Gone' } })).createCustomer.id;
    await run('mutation($id: ID!) { archiveCustomer(id: $id) { id } }', { id: archived });
    await expectRejected(createOrder, { input: { customerId: archived, items: [{ productId, quantity: 1 }] } }, 'BAD_USER_INPUT', 'input.customerId');
  });

  it('manages opportunities', async () => {
    const input = { customerId, name: 'Big deal', amount: { amount: '1000', currency: 'USD' }, probability: 25, expectedCloseDate: '2027-03-01' };
    const { createOpportunity } = await run('mutation($input: CreateOpportunityInput!) { createOpportunity(input: $input) { id stage weightedAmount { amount } } }', { input });
    expect(createOpportunity).toMatchObject({ stage: 'PROSPECTING', weightedAmount: { amount: '250.00' } });
    const { updateOpportunity } = await run('mutation($id: ID!) { updateOpportunity(id: $id, input: { stage: CLOSED_WON, probability: 100 }) { stage weightedAmount { amount } } }', {
      id: createOpportunity.id,
    });
    expect(updateOpportunity).toEqual({ stage: 'CLOSED_WON', weightedAmount: { amount: '1000.00' } });
    await expectRejected('mutation($input: CreateOpportunityInput!) { createOpportunity(input: $input) { id } }', { input: { ...input, probability: 150 } }, 'BAD_USER_INPUT', 'input.probability');
    await expectRejected('mutation($input: CreateOpportunityInput!) { createOpportunity(input: $input) { id } }', { input: { ...input, customerId: UNKNOWN } }, 'BAD_USER_INPUT', 'input.customerId');
    expect((await run('mutation($id: ID!) { deleteOpportunity(id: $id) }', { id: createOpportunity.id })).deleteOpportunity).toBe(createOpportunity.id);
  });

  it('refuses to delete a customer who has orders, and keeps everything', async () => {
    const { createCustomer: customer } = await run(createCustomer, { input: { name: 'Has orders' } });
    await run(createOrder, { input: { customerId: customer.id, items: [{ productId, quantity: 1 }] } });
    const response = await expectRejected('mutation($id: ID!) { deleteCustomer(id: $id) }', { id: customer.id }, 'CONFLICT', 'id');
    expect(response.body.errors![0].message).toMatch(/\b1 order\b/);
  });
});

describe('marketing mutations', () => {
  it('manages segments, campaigns, members, responses and attribution', async () => {
    const customerId = (await run(createCustomer, { input: { name: 'Lead', tags: ['trial'] } })).createCustomer.id;
    const productId = (await run(createProduct, { input: { sku: 'PLAN', name: 'Plan', price: { amount: '100', currency: 'USD' } } })).createProduct.id;
    const orderId = (await run(createOrder, { input: { customerId, items: [{ productId, quantity: 1 }], status: 'PLACED' } })).createOrder.id;

    const { createSegment } = await run('mutation { createSegment(input: { name: "Trials", rules: { tagsAny: ["trial"] } }) { id rules { tagsAny } } }');
    expect(createSegment.rules.tagsAny).toEqual(['trial']);
    const { updateSegment } = await run('mutation($id: ID!) { updateSegment(id: $id, input: { description: "On trial" }) { description } }', { id: createSegment.id });
    expect(updateSegment.description).toBe('On trial');

    const { createCampaign } = await run(
      'mutation($segment: ID) { createCampaign(input: { name: "Convert trials", channel: EMAIL, budget: { amount: "50", currency: "USD" }, segmentId: $segment }) { id status segment { name } } }',
      { segment: createSegment.id },
    );
    expect(createCampaign).toMatchObject({ status: 'DRAFT', segment: { name: 'Trials' } });
    const campaignId = createCampaign.id;
    const { updateCampaign } = await run('mutation($id: ID!) { updateCampaign(id: $id, input: { status: ACTIVE }) { status } }', { id: campaignId });
    expect(updateCampaign.status).toBe('ACTIVE');

    await run('mutation($c: ID!, $ids: [ID!]!) { addCampaignMembers(campaignId: $c, customerIds: $ids) { id } }', { c: campaignId, ids: [customerId, customerId] });
    const { updateCampaignMemberStatus } = await run('mutation($c: ID!, $cu: ID!) { updateCampaignMemberStatus(campaignId: $c, customerId: $cu, status: SENT) { status } }', {
      c: campaignId,
      cu: customerId,
    });
    expect(updateCampaignMemberStatus.status).toBe('SENT');
    const { recordCampaignResponse } = await run('mutation($input: RecordResponseInput!) { recordCampaignResponse(input: $input) { type customer { name } } }', {
      input: { campaignId, customerId, type: 'CLICKED' },
    });
    expect(recordCampaignResponse).toEqual({ type: 'CLICKED', customer: { name: 'Lead' } });
    await run('mutation($c: ID!, $o: ID!) { attributeOrder(campaignId: $c, orderId: $o) { id } }', { c: campaignId, o: orderId });

    const { campaign } = await run('query($id: ID!) { campaign(id: $id) { members { totalCount nodes { status } } responses { totalCount } attributedRevenue { amount } roi } }', { id: campaignId });
    expect(campaign).toEqual({ members: { totalCount: 1, nodes: [{ status: 'CLICKED' }] }, responses: { totalCount: 1 }, attributedRevenue: [{ amount: '100.00' }], roi: '1.0000' });

    await expectRejected('mutation($c: ID!) { addCampaignMembers(campaignId: $c, customerIds: ["' + UNKNOWN + '"]) { id } }', { c: campaignId }, 'BAD_USER_INPUT', 'customerIds.0');
    await expectRejected('mutation($c: ID!) { attributeOrder(campaignId: $c, orderId: "' + UNKNOWN + '") { id } }', { c: campaignId }, 'BAD_USER_INPUT', 'orderId');
    await expectRejected('mutation($id: ID!) { updateCampaign(id: $id, input: { status: DRAFT }) { id } }', { id: campaignId }, 'BAD_USER_INPUT', 'input.status');
    await expectRejected('mutation { createCampaign(input: { name: "Neg", channel: SMS, budget: { amount: "-5", currency: "USD" } }) { id } }', {}, 'BAD_USER_INPUT', 'input.budget.amount');
    await expectRejected(
      'mutation { createCampaign(input: { name: "Backwards", channel: SMS, budget: { amount: "5", currency: "USD" }, startsAt: "2027-01-02T00:00:00Z", endsAt: "2027-01-01T00:00:00Z" }) { id } }',
      {},
      'BAD_USER_INPUT',
      'input.endsAt',
    );
    await expectRejected('mutation { createSegment(input: { name: "Empty", rules: {} }) { id } }', {}, 'BAD_USER_INPUT', 'input.rules');

    await expectRejected('mutation($id: ID!) { deleteCustomer(id: $id) }', { id: customerId }, 'CONFLICT', 'id');
    await run('mutation($c: ID!, $o: ID!) { removeOrderAttribution(campaignId: $c, orderId: $o) { id } }', { c: campaignId, o: orderId });
    expect((await run('mutation($c: ID!, $cu: ID!) { removeCampaignMember(campaignId: $c, customerId: $cu) }', { c: campaignId, cu: customerId })).removeCampaignMember).toBe(customerId);
    expect((await run('mutation($id: ID!) { deleteSegment(id: $id) }', { id: createSegment.id })).deleteSegment).toBe(createSegment.id);
    expect((await run('mutation($id: ID!) { deleteCampaign(id: $id) }', { id: campaignId })).deleteCampaign).toBe(campaignId);
  });
});
