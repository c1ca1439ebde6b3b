import { ApolloClient, ApolloLink, HttpLink } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';
import { OperationTypeNode } from 'graphql';
import { createCache } from './cache';
import { MissingParts } from './missing-parts';

export type ConsoleClient = { apollo: ApolloClient; missingParts: MissingParts; close(): void };

// Whether live updates are flowing: the WebSocket opens with the first subscription.
export type LiveState = 'idle' | 'live' | 'reconnecting';

// One client per signed-in session: queries and mutations over HTTP, subscriptions over
// graphql-ws on the same /graphql path, both with the session's token. Signing out throws the
// client and its cache away, so one user's data never shows to the next.
export function createConsoleClient(token: string, onSessionEnded: (reason: string) => void, onLiveState: (state: LiveState) => void): ConsoleClient {
  const authorization = `Bearer ${token}`;
  const http = new HttpLink({ uri: '/graphql', headers: { authorization } });
  // The latest event id seen is sent again when graphql-ws reconnects, so the gateway replays
  // what this client missed while it was away (docs/subscriptions.md).
  let lastEventId: string | undefined;
  const socket = createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    connectionParams: () => ({ authorization, ...(lastEventId ? { lastEventId } : {}) }),
    lazy: true,
    retryAttempts: Infinity,
    // 4401: the token expired; 4403: it was refused. Retrying would not help.
    shouldRetry: (event) => !(event instanceof CloseEvent && (event.code === 4401 || event.code === 4403)),
    on: {
      connected: () => onLiveState('live'),
      message: (message) => {
        const eventId = message.type === 'next' ? message.payload.extensions?.eventId : undefined;
        if (typeof eventId === 'string') lastEventId = eventId;
      },
      closed: (event) => {
        if (event instanceof CloseEvent && (event.code === 4401 || event.code === 4403)) onSessionEnded(event.reason || 'Your session has ended; sign in again');
        else onLiveState(event instanceof CloseEvent && event.code === 1000 ? 'idle' : 'reconnecting');
      },
    },
  });
  const missingParts = new MissingParts();
  const transport = ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === 'OperationDefinition' && definition.operation === OperationTypeNode.SUBSCRIPTION;
    },
    new GraphQLWsLink(socket),
    http,
  );
  const apollo = new ApolloClient({
    link: ApolloLink.from([missingParts.link, transport]),
    cache: createCache(),
    // Partial answers are the norm in a federated graph (a field the role may not read, a
    // subgraph that is down): pages render what came back and mark the rest.
    defaultOptions: { watchQuery: { errorPolicy: 'all' }, query: { errorPolicy: 'all' }, mutate: { errorPolicy: 'all' } },
  });
  return {
    apollo,
    missingParts,
    close() {
      void socket.dispose();
      apollo.stop();
    },
  };
}
