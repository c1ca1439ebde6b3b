import { useEffect, useRef } from 'react';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { useSubscription } from '@apollo/client/react';
import type { OperationVariables, TypedDocumentNode } from '@apollo/client';

type Options<TData, TVariables> = { variables?: TVariables; skip?: boolean; onEvent(event: TData): void };

// A subscription's events, each written to the cache and handed to `onEvent`, whether or not
// it carries errors. Apollo calls onError instead of onData for an event with any error, even
// under errorPolicy 'all', and every event a VIEWER gets has one (the customer's hidden email).
export function useEvents<TData, TVariables extends OperationVariables>(subscription: TypedDocumentNode<TData, TVariables>, { variables, skip, onEvent }: Options<TData, TVariables>): void {
  const latest = useRef(onEvent);
  useEffect(() => {
    latest.current = onEvent;
  });
  useSubscription(subscription, {
    variables,
    skip,
    errorPolicy: 'all',
    onData: ({ data }) => data.data && latest.current(data.data),
    onError: (error) => {
      if (CombinedGraphQLErrors.is(error) && error.data) latest.current(error.data as TData);
    },
  } as useSubscription.Options<TData, TVariables>);
}
