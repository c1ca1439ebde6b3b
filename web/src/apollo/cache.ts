import { InMemoryCache, type FieldPolicy, type Reference } from '@apollo/client';

type NodesConnection = { nodes: Reference[]; pageInfo: { endCursor?: string | null; hasNextPage: boolean }; totalCount?: number; __typename?: string };

// Cursor pagination for connections read through `nodes` (what the console and the README
// select). Apollo's relayStylePagination merges `edges` only and silently keeps the first page
// of a `nodes`-only selection. A page asked for `after` a cursor is appended to the pages
// before that cursor; no `after` starts the list again (a refetch). Entities are references,
// so a customer appearing twice after a concurrent insert is kept once.
export function nodesPagination(keyArgs: FieldPolicy['keyArgs']): FieldPolicy<NodesConnection> {
  return {
    keyArgs,
    merge(existing, incoming, { args, readField }) {
      if (!existing || !args?.after) return incoming;
      const seen = new Set(existing.nodes.map((node) => readField<string>('id', node)));
      const appended = incoming.nodes.filter((node) => !seen.has(readField<string>('id', node)));
      return { ...incoming, nodes: [...existing.nodes, ...appended] };
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
