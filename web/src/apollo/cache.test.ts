import { InMemoryCache } from '@apollo/client';
import { parse } from 'graphql';
import { relayStylePagination } from '@apollo/client/utilities';
import { createCache } from './cache';

// The selection the console's list uses: `nodes`, not `edges` (what the README teaches). Parsed
// rather than tagged with gql, so the operation-type generator does not pick test documents up.
const CustomersList = parse(`
  query CustomersList($after: String, $filter: CustomerFilter) {
    customers(first: 2, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        name
      }
    }
  }
`);

type Page = { customers: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: { id: string; name: string }[] } };

const customer = (id: string) => ({ __typename: 'Customer', id, name: `Customer ${id}` });

function page(ids: string[], endCursor: string, hasNextPage: boolean): Page {
  return {
    customers: {
      __typename: 'CustomerConnection',
      totalCount: 6,
      pageInfo: { __typename: 'PageInfo', hasNextPage, endCursor },
      nodes: ids.map(customer),
    },
  } as Page;
}

function writePage(cache: InMemoryCache, data: Page, variables: { after?: string; filter?: object } = {}) {
  cache.writeQuery({ query: CustomersList, data, variables });
}

// Reads the list as the page does: with its own variables (no `after`), so the pages merged
// under the field's key (filter + orderBy) come back as one list.
const readIds = (cache: InMemoryCache, filter?: object) =>
  cache.readQuery<Page>({ query: CustomersList, variables: { filter } })?.customers.nodes.map((node) => node.id);

const CustomersCount = parse(`
  query CustomersCount($after: String) {
    customers(first: 2, after: $after) {
      totalCount
    }
  }
`);

describe('nodesPagination (Query.customers)', () => {
  it('drops a page that follows a cursor the list no longer ends with (a refetch landed first)', () => {
    const cache = createCache();
    writePage(cache, page(['1', '2'], 'c2', true));
    // The refetch: a new customer first, so page 1 now ends one row earlier.
    writePage(cache, page(['0', '1'], 'c1', true));
    // The page asked for after c2 before the refetch.
    writePage(cache, page(['3', '4'], 'c4', true), { after: 'c2' });
    expect(readIds(cache)).toEqual(['0', '1']);
    writePage(cache, page(['2', '3'], 'c3', true), { after: 'c1' });
    expect(readIds(cache)).toEqual(['0', '1', '2', '3']);
  });

  it('keeps the loaded customers when a selection without nodes reads a later page', () => {
    const cache = createCache();
    writePage(cache, page(['1', '2'], 'c2', true));
    cache.writeQuery({ query: CustomersCount, data: { customers: { __typename: 'CustomerConnection', totalCount: 7 } }, variables: { after: 'c2' } });
    expect(readIds(cache)).toEqual(['1', '2']);
    expect(cache.readQuery<Page>({ query: CustomersList })!.customers.totalCount).toBe(7);
  });

  it('appends the pages written after a cursor, in order, each customer once', () => {
    const cache = createCache();
    writePage(cache, page(['1', '2'], 'c2', true));
    writePage(cache, page(['3', '4'], 'c4', true), { after: 'c2' });
    // A customer inserted before the cursor between two requests shifts the next page by one:
    // its first row is the last one already shown.
    writePage(cache, page(['4', '5', '6'], 'c6', false), { after: 'c4' });

    const list = cache.readQuery<Page>({ query: CustomersList })!.customers;
    expect(list.nodes.map((node) => node.id)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(list.pageInfo).toEqual({ __typename: 'PageInfo', hasNextPage: false, endCursor: 'c6' });
    expect(list.totalCount).toBe(6);
  });

  it('starts the list again on a write without `after` (a refetch)', () => {
    const cache = createCache();
    writePage(cache, page(['1', '2'], 'c2', true));
    writePage(cache, page(['3', '4'], 'c4', true), { after: 'c2' });
    writePage(cache, page(['9', '1'], 'c1', true));

    expect(readIds(cache)).toEqual(['9', '1']);
    // The next page after the refetch continues from the new first page's cursor.
    writePage(cache, page(['2', '3'], 'c3', true), { after: 'c1' });
    expect(readIds(cache)).toEqual(['9', '1', '2', '3']);
  });

  it('keeps the lists of different filters apart', () => {
    const cache = createCache();
    const active = { status: ['ACTIVE'] };
    writePage(cache, page(['1', '2'], 'c2', true));
    writePage(cache, page(['5', '6'], 'a6', true), { filter: active });
    writePage(cache, page(['7'], 'a7', false), { filter: active, after: 'a6' });

    expect(readIds(cache)).toEqual(['1', '2']);
    expect(readIds(cache, active)).toEqual(['5', '6', '7']);
  });

  it('shares the customers between lists: a change to one entity shows in every list', () => {
    const cache = createCache();
    const active = { status: ['ACTIVE'] };
    writePage(cache, page(['1', '2'], 'c2', true));
    writePage(cache, page(['2'], 'a2', false), { filter: active });
    cache.writeFragment({ id: cache.identify(customer('2')), fragment: parse('fragment Renamed on Customer { name }'), data: { name: 'Renamed' } });

    const names = (filter?: object) => cache.readQuery<Page>({ query: CustomersList, variables: { filter } })!.customers.nodes.map((node) => node.name);
    expect(names()).toEqual(['Customer 1', 'Renamed']);
    expect(names(active)).toEqual(['Renamed']);
  });
});

// Why the console does not use Apollo's helper: relayStylePagination merges `edges` only and
// carries any other field (`nodes` too) over from the latest write, so with a `nodes`-only
// selection each page replaces the pages before it, silently: after "Load more" the list shows
// page 2 alone and page 1 is gone.
describe("regression: Apollo's relayStylePagination with a nodes-only selection", () => {
  it('keeps page 2 alone when it is written after page 1\'s cursor', () => {
    const cache = new InMemoryCache({ typePolicies: { Query: { fields: { customers: relayStylePagination(['filter', 'orderBy']) } } } });
    writePage(cache, page(['1', '2'], 'c2', true));
    writePage(cache, page(['3', '4'], 'c4', true), { after: 'c2' });

    expect(readIds(cache)).toEqual(['3', '4']);
  });
});
