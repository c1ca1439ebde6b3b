import { randomUUID } from 'node:crypto';
import { DEVELOPMENT_SECRETS, IDENTITY_HEADER, InternalIdentitySigner } from '../../../lib/auth';
import { SUBGRAPH_NAMES } from '../../../lib/config';
import { expectNoErrors, postGraphQL, startTestPlatform, type GraphQLResponse, type TestPlatform } from '../../../test/harness';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(() => platform?.stop());

async function customerGql(query: string, variables: Record<string, unknown> = {}, as: 'admin' | 'sales' = 'admin'): Promise<GraphQLResponse> {
  return platform.subgraphGql('customer', query, variables, as);
}

async function run(query: string, variables: Record<string, unknown> = {}) {
  const response = await customerGql(query, variables);
  expectNoErrors(response);
  return response.body.data!;
}

const TOMBSTONE = 'id name email phone company tags contacts { totalCount } interactions { totalCount } erasure { status requestedAt completedAt services { name erasedAt } }';
const erase = `mutation($id: ID!) { eraseCustomer(id: $id) { ${TOMBSTONE} } }`;
const read = `query($id: ID!) { customer(id: $id) { ${TOMBSTONE} } }`;

async function personalCustomer(): Promise<string> {
  const { createCustomer } = await run('mutation($email: String) { createCustomer(input: { name: "Ada Lovelace", email: $email, phone: "+44 20 7946 0000", company: "Analytical", tags: ["vip"] }) { id } }', {
    email: `ada-${randomUUID()}@example.com`,
  });
  await run('mutation($id: ID!) { createContact(input: { customerId: $id, name: "Charles", email: "charles@example.com" }) { id } }', { id: createCustomer.id });
  await run('mutation($id: ID!) { logInteraction(input: { customerId: $id, type: CALL, subject: "About the engine" }) { id } }', { id: createCustomer.id });
  return createCustomer.id;
}

const erasedEvents = async (id: string) =>
  platform.sql<{ data: Record<string, unknown> }>('customer', `SELECT "data" FROM "OutboxEvent" WHERE "aggregateId" = $1 AND "type" = 'customer.erased'`, [id]);

describe('eraseCustomer', () => {
  it('removes the personal data, keeps a tombstone and reports its progress per service', async () => {
    const id = await personalCustomer();
    const { eraseCustomer: erased } = await run(erase, { id });

    expect(erased).toMatchObject({ id, name: 'Erased customer', email: null, phone: null, company: null, tags: [], contacts: { totalCount: 0 }, interactions: { totalCount: 0 } });
    const { requestedAt } = erased.erasure;
    // The other services learn of the erasure from the event this commit published, so none
    // has answered when the mutation itself answers.
    expect(erased.erasure).toEqual({
      status: 'PENDING',
      requestedAt: expect.any(String),
      completedAt: null,
      services: SUBGRAPH_NAMES.map((name) => ({ name, erasedAt: name === 'customer' ? requestedAt : null })),
    });
    const [row] = await platform.sql('customer', `SELECT name, email, phone, company, tags, "erasedAt" AT TIME ZONE 'UTC' AS "erasedAt" FROM "Customer" WHERE id = $1`, [id]);
    expect(row).toEqual({ name: 'Erased customer', email: null, phone: null, company: null, tags: [], erasedAt: new Date(requestedAt) });
    expect(await platform.sql('customer', 'SELECT id FROM "Contact" WHERE "customerId" = $1 UNION ALL SELECT id FROM "Interaction" WHERE "customerId" = $1', [id])).toEqual([]);
    expect((await erasedEvents(id)).map((event) => event.data)).toEqual([{ requestedAt }]);
    expect(JSON.stringify(await platform.sql('customer', 'SELECT "data" FROM "OutboxEvent" WHERE "aggregateId" = $1', [id]))).not.toMatch(/Ada|example\.com|7946|Analytical/);
  });

  it('erasing again answers the same tombstone and announces nothing new', async () => {
    const id = await personalCustomer();
    const first = (await run(erase, { id })).eraseCustomer;
    const second = (await run(erase, { id })).eraseCustomer;
    expect(second.erasure.requestedAt).toBe(first.erasure.requestedAt);
    expect(second.name).toBe('Erased customer');
    expect(await erasedEvents(id)).toHaveLength(1);
  });

  it('an erased customer still resolves for readers and peers, and refuses every change', async () => {
    const id = await personalCustomer();
    await run(erase, { id });
    expect((await run(read, { id })).customer.name).toBe('Erased customer');

    const service = { [IDENTITY_HEADER]: await new InternalIdentitySigner(DEVELOPMENT_SECRETS.INTERNAL_JWT_SECRET).sign({ kind: 'service', service: 'sales' }) };
    const lookup = await postGraphQL(
      platform.subgraphs.customer.url,
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { archived erasure { requestedAt } } } }',
      { r: [{ __typename: 'Customer', id }] },
      service,
    );
    expect(lookup.body.data).toEqual({ _entities: [{ archived: false, erasure: { requestedAt: expect.any(String) } }] });

    const before = await platform.rowCounts();
    const refusals: [string, string][] = [
      ['mutation($id: ID!) { updateCustomer(id: $id, input: { name: "Ada again" }) { id } }', 'id'],
      ['mutation($id: ID!) { archiveCustomer(id: $id) { id } }', 'id'],
      ['mutation($id: ID!) { restoreCustomer(id: $id) { id } }', 'id'],
      ['mutation($id: ID!) { deleteCustomer(id: $id) }', 'id'],
      ['mutation($id: ID!) { createContact(input: { customerId: $id, name: "Charles" }) { id } }', 'input.customerId'],
      ['mutation($id: ID!) { logInteraction(input: { customerId: $id, type: NOTE, subject: "Hi" }) { id } }', 'input.customerId'],
    ];
    for (const [mutation, field] of refusals) {
      const response = await customerGql(mutation, { id });
      expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field });
      expect(response.body.errors![0].message).toContain(`Customer ${id} has been erased`);
    }
    expect(await platform.rowCounts()).toEqual(before);
  });

  it('is for admins only and answers NOT_FOUND for an unknown customer', async () => {
    const id = await personalCustomer();
    expect((await customerGql(erase, { id }, 'sales')).body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', field: 'Mutation.eraseCustomer' });
    expect((await customerGql(erase, { id: randomUUID() })).body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    expect((await run(read, { id })).customer).toMatchObject({ name: 'Ada Lovelace', erasure: null });
  });

  it('completes once every other service has reported its erasure, whichever answers first', async () => {
    const id = await personalCustomer();
    const { requestedAt } = (await run(erase, { id })).eraseCustomer.erasure;
    // Stands in for the services' own answers, as they publish them from their outboxes.
    const others = SUBGRAPH_NAMES.filter((name) => name !== 'customer');
    for (const [index, service] of others.entries()) {
      const event = {
        id: randomUUID(),
        type: 'customer-erasure.completed',
        version: 1,
        source: service,
        aggregateType: 'CustomerErasure',
        aggregateId: id,
        sequence: 1,
        occurredAt: new Date(Date.parse(requestedAt) + 1_000 * (index + 1)).toISOString(),
        data: { customerId: id, service },
      };
      await platform.subgraphs.customer.events.transport.publish(event);
      // A repeated answer changes nothing.
      await platform.subgraphs.customer.events.transport.publish({ ...event, id: randomUUID(), occurredAt: new Date(Date.parse(event.occurredAt) + 60_000).toISOString() });
    }
    await platform.settled();

    const { erasure } = (await run(read, { id })).customer;
    const services = erasure.services as { name: string; erasedAt: string | null }[];
    // The real services may answer before the stand-ins; the first answer of each is kept.
    expect(erasure.status).toBe('COMPLETED');
    expect(services.map((entry) => entry.name)).toEqual([...SUBGRAPH_NAMES]);
    expect(services.every((entry) => entry.erasedAt !== null)).toBe(true);
    expect(erasure.completedAt).toBe(new Date(Math.max(...services.map((entry) => Date.parse(entry.erasedAt!)))).toISOString());
    expect(await platform.sql('customer', 'SELECT service FROM "CustomerErasure" WHERE "customerId" = $1 ORDER BY service', [id])).toEqual(
      [...others].sort().map((service) => ({ service })),
    );
  });

  it('sales and marketing erase what they hold and report it by themselves', async () => {
    const id = await personalCustomer();
    await run(erase, { id });
    await platform.settled();
    const { erasure } = (await run(read, { id })).customer;
    expect(erasure.status).toBe('COMPLETED');
    expect(erasure.services.every((entry: { erasedAt: string | null }) => entry.erasedAt !== null)).toBe(true);
  });
});
