import { useEffect, useRef } from 'react';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { useSubscription } from '@apollo/client/react';
import type { OperationVariables, TypedDocumentNode } from '@apollo/client';
import { useCatchUpSignal } from './catch-up';
import { useDebounced } from '../use-debounced';

type Options<TData, TVariables> = { variables?: TVariables; skip?: boolean; onEvent(event: TData): void };

// A subscription's events, each written to the cache and handed to `onEvent`, whether or not
// it carries errors. Apollo calls onError instead of onData for an event with any error, even
// under errorPolicy 'all', and every event a VIEWER gets has one (the customer's hidden email).
export function useEvents<TData, TVariables extends OperationVariables>(subscription: TypedDocumentNode<TData, TVariables>, { variables, skip, onEvent }: Options<TData, TVariables>): void {
  const catchUp = useCatchUpSignal();
  const latest = useRef(onEvent);
  useEffect(() => {
    latest.current = onEvent;
  });
  // The subscription starts again from now, then the pages read what they show again, in that
  // order, so a change made in between is delivered rather than missed.
  const startAgain = useDebounced(() => {
    if (skip) return;
    restart();
    catchUp.announce();
  }, 0);
  const { restart } = useSubscription(subscription, {
    variables,
    skip,
    errorPolicy: 'all',
    onData: ({ data }) => data.data && latest.current(data.data),
    onError: (error) => {
      if (CombinedGraphQLErrors.is(error) && error.data) return latest.current(error.data as TData);
      // The gateway no longer holds the events after the id this connection resumed from: the
      // subscription has ended.
      if (CombinedGraphQLErrors.is(error) && error.errors.some((each) => each.extensions?.code === 'EVENT_REPLAY_UNAVAILABLE')) startAgain();
    },
  } as useSubscription.Options<TData, TVariables>);
}
