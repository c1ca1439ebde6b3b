import { ApolloClient, ApolloLink } from '@apollo/client';
import { parse } from 'graphql';
import { of } from 'rxjs';
import { createCache } from './cache';
import { MissingParts } from './missing-parts';

// Answers as the gateway gives them to a VIEWER, and to anyone while sales is down.
const CustomersList = parse('query CustomersList($after: String) { customers(first: 2, after: $after) { nodes { id name email } pageInfo { endCursor hasNextPage } } }');
const CustomerPage = parse('query CustomerPage($id: ID!) { customer(id: $id) { id name email orders { totalCount } segments { id name } } }');

const row = (id: string) => ({ __typename: 'Customer', id, name: `Customer ${id}`, email: null });
const hidden = (path: (string | number)[]) => ({ message: 'email requires ADMIN, SALES or MARKETING', path, extensions: { code: 'FORBIDDEN' } });

function clientAnswering(answers: Record<string, object>, parts = new MissingParts()) {
  const server = new ApolloLink((operation) => of(answers[`${operation.operationName}:${operation.variables.after ?? operation.variables.id ?? ''}`] as ApolloLink.Result));
  const client = new ApolloClient({ link: ApolloLink.from([parts.link, server]), cache: createCache(), defaultOptions: { query: { errorPolicy: 'all' } } as never });
  return { parts, client };
}

describe('MissingParts', () => {
  it('knows each row\'s hidden email by the customer, on every page, whatever its index in the answer', async () => {
    const page = (ids: string[], endCursor: string) => ({ __typename: 'CustomerConnection', nodes: ids.map(row), pageInfo: { __typename: 'PageInfo', endCursor, hasNextPage: true } });
    const { parts, client } = clientAnswering({
      'CustomersList:': { data: { customers: page(['1', '2'], 'c2') }, errors: [hidden(['customers', 'nodes', 0, 'email']), hidden(['customers', 'nodes', 1, 'email'])] },
      'CustomersList:c2': { data: { customers: page(['3', '4'], 'c4') }, errors: [hidden(['customers', 'nodes', 0, 'email']), hidden(['customers', 'nodes', 1, 'email'])] },
    });
    await client.query({ query: CustomersList });
    // As fetchMore asks: from the network, merged into the same list.
    await client.query({ query: CustomersList, variables: { after: 'c2' }, fetchPolicy: 'network-only' });
    expect(['1', '2', '3', '4'].map((id) => parts.of(row(id), 'email')?.state)).toEqual(['hidden', 'hidden', 'hidden', 'hidden']);
    expect(parts.of(row('1'), 'name')).toBeUndefined();
    expect(parts.of(row('5'), 'email')).toBeUndefined();
  });

  it('names the service of a section that did not come back, and forgets nothing that came back', async () => {
    const unavailable = { message: 'The sales service is unavailable', path: ['customer', 'orders'], extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'sales' } };
    const customer = { __typename: 'Customer', id: '7', name: 'Ada', email: 'ada@example.com', orders: null, segments: [] };
    const { parts, client } = clientAnswering({ 'CustomerPage:7': { data: { customer }, errors: [unavailable] } });
    await client.query({ query: CustomerPage, variables: { id: '7' } });
    expect(parts.of(customer, 'orders')).toEqual({ state: 'unavailable', service: 'sales', message: unavailable.message });
    expect(parts.of(customer, 'segments')).toBeUndefined();
    // Once the orders come back, they are shown, not the earlier outage.
    expect(parts.of({ ...customer, orders: { totalCount: 3 } }, 'orders')).toBeUndefined();
  });

  it('forgets an outage once an answer holds the field without an error, even a null one', async () => {
    const unavailable = { message: 'The marketing service is unavailable', path: ['customer', 'segments'], extensions: { code: 'SUBGRAPH_UNAVAILABLE', service: 'marketing' } };
    const customer = { __typename: 'Customer', id: '8', name: 'Ada', email: null, orders: null, segments: null };
    const during = clientAnswering({ 'CustomerPage:8': { data: { customer }, errors: [unavailable, hidden(['customer', 'email'])] } });
    await during.client.query({ query: CustomerPage, variables: { id: '8' } });
    expect(during.parts.of(customer, 'segments')?.state).toBe('unavailable');
    // Marketing is back and answers null; the email is still hidden.
    const after = clientAnswering({ 'CustomerPage:8': { data: { customer }, errors: [hidden(['customer', 'email'])] } }, during.parts);
    await after.client.query({ query: CustomerPage, variables: { id: '8' } });
    expect(after.parts.of(customer, 'segments')).toBeUndefined();
    expect(after.parts.of(customer, 'email')?.state).toBe('hidden');
  });
});
