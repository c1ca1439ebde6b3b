import { InMemoryCache, type FieldPolicy, type Reference } from '@apollo/client';

type NodesConnection = { nodes: Reference[]; pageInfo: { endCursor?: string | null; hasNextPage: boolean }; totalCount?: number; __typename?: string };

// Cursor pagination for connections read through `nodes` (what the console and the README
// select). Apollo's relayStylePagination merges `edges` only: with a `nodes`-only selection
// each page replaces the one before. Here a page asked for `after` a cursor is appended to the
// list; no `after` starts it again (a refetch). Entities are references, so a customer that
// shows up on two pages (rows inserted between the requests) is kept once. A selection
// without `nodes` (a count alone) keeps the nodes already loaded.
export function nodesPagination(keyArgs: FieldPolicy['keyArgs']): FieldPolicy<NodesConnection> {
  return {
    keyArgs,
    merge(existing, incoming, { args, readField }) {
      if (!existing || !args?.after) return incoming;
      // A page asked for before the list started again (a refetch landed first) follows a
      // cursor the list no longer ends with: appending it would skip rows.
      if (args.after !== readField<string | null>('endCursor', existing.pageInfo)) return existing;
      const loaded = existing.nodes ?? [];
      const seen = new Set(loaded.map((node) => readField<string>('id', node)));
      const appended = (incoming.nodes ?? []).filter((node) => !seen.has(readField<string>('id', node)));
      return { ...existing, ...incoming, nodes: [...loaded, ...appended] };
    },
  };
}

export function createCache(): InMemoryCache {
  return new InMemoryCache({
    typePolicies: {
      Query: {
        fields: {
          customers: nodesPagination(['filter', 'orderBy']),
          customer: { read: (existing, { args, toReference }) => existing ?? toReference({ __typename: 'Customer', id: args?.id }) },
        },
      },
      Customer: {
        fields: {
          interactions: nodesPagination(['type']),
          contacts: nodesPagination(false),
          orders: nodesPagination(['status']),
          opportunities: nodesPagination(['stage']),
        },
      },
    },
  });
}
