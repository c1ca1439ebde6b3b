import { useState } from 'react';
import type { GraphQLFormattedError } from 'graphql';
import { graphQLErrorsOf } from '../../apollo/errors';

function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let value = data;
  for (const segment of path) {
    if (value == null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

// The errors explaining what is missing from a query's data. Apollo drops a result's errors
// as soon as the cache changes the data (a subscription event, fetchMore, another query), so
// the last errors are kept for as long as the values they are about are still missing.
export function usePartErrors(error: unknown, data: unknown): readonly GraphQLFormattedError[] {
  const current = graphQLErrorsOf(error);
  const [remembered, setRemembered] = useState(current);
  if (current.length > 0 && current !== remembered) setRemembered(current);
  if (current.length > 0) return current;
  return remembered.filter((e) => !e.path || valueAt(data, e.path) == null);
}
