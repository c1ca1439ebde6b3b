import { ApolloClient, ApolloLink, HttpLink } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';
import { OperationTypeNode } from 'graphql';
import { createCache } from './cache';
import { MissingParts } from './missing-parts';
import { CatchUp } from './catch-up';

export type ConsoleClient = { apollo: ApolloClient; missingParts: MissingParts; catchUp: CatchUp; close(): void };

// Whether live updates are flowing: the WebSocket opens with the first subscription.
export type LiveState = 'idle' | 'live' | 'reconnecting';

// One client per signed-in session: queries and mutations over HTTP, subscriptions over
// graphql-ws on the same /graphql path, both with the session's token. Signing out throws the
// client and its cache away, so one user's data never shows to the next.
export function createConsoleClient(token: string, onSessionEnded: (reason: string) => void, onLiveState: (state: LiveState) => void): ConsoleClient {
  const authorization = `Bearer ${token}`;
  const http = new HttpLink({ uri: '/graphql', headers: { authorization } });
  // After a dropped connection graphql-ws reconnects and subscribes again, sending the latest
  // event id seen, so the gateway replays what this client missed (docs/subscriptions.md). The
  // replay is per connection while each subscription has its own filter, so the pages read
  // what they show again as well (catchUp): whatever was missed, what is shown is current. A
  // connection closed because no page subscribes (1000) resumes nothing; an id past the
  // gateway's window is dropped (EVENT_REPLAY_UNAVAILABLE; useEvents subscribes again).
  let lastEventId: string | undefined;
  const catchUp = new CatchUp();
  const socket = createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    connectionParams: () => ({ authorization, ...(lastEventId ? { lastEventId } : {}) }),
    lazy: true,
    // Moving from one page to the next unsubscribes and subscribes again: one connection serves both.
    lazyCloseTimeout: 10_000,
    retryAttempts: Infinity,
    // 4401: the token expired; 4403: it was refused. Retrying would not help.
    shouldRetry: (event) => !(event instanceof CloseEvent && (event.code === 4401 || event.code === 4403)),
    on: {
      connected: (_socket, _payload, wasRetry) => {
        onLiveState('live');
        // After graphql-ws has sent the subscriptions again, so a change made while the pages
        // read is delivered rather than missed.
        if (wasRetry) setTimeout(() => catchUp.announce());
      },
      message: (message) => {
        if (message.type !== 'next') return;
        const eventId = message.payload.extensions?.eventId;
        if (typeof eventId === 'string') lastEventId = eventId;
        if (message.payload.errors?.some((error) => error.extensions?.code === 'EVENT_REPLAY_UNAVAILABLE')) lastEventId = undefined;
      },
      closed: (event) => {
        const code = event instanceof CloseEvent ? event.code : undefined;
        if (code === 4401 || code === 4403) return onSessionEnded('Your session has ended; sign in again');
        if (code === 1000) lastEventId = undefined;
        onLiveState(code === 1000 ? 'idle' : 'reconnecting');
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
    catchUp,
    close() {
      void socket.dispose();
      apollo.stop();
    },
  };
}
