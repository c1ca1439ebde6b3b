import { IDENTITY_HEADER, InternalIdentitySigner } from './auth';
import { secret, type Settings, type SubgraphName } from './config';
import { clientError, SubgraphUnavailableError, type ErrorCode } from './errors';
import { deadlineHeaders, timeLeftMs, WRITE_MARGIN_MS } from './deadline';
import { ResilientCall, readyUrlOf } from './resilient-call';

// Another subgraph this one asks, and who is asking (named in the signed identity it sends).
export type PeerService = { name: string; url: string; caller: string };

export const peer = (settings: Settings, caller: SubgraphName, name: SubgraphName): PeerService => ({ caller, name, url: settings.subgraphUrls[name] });

type PeerClient = { call: ResilientCall; signer: InternalIdentitySigner; timeoutMs: number };

// Each started subgraph's peers get their own breaker, so a test or `npm start` that starts
// the platform twice in one process starts with closed circuits.
const clients = new WeakMap<PeerService, PeerClient>();

// Called when a subgraph starts; the returned function shuts its peers' breakers down on stop.
export function connectPeers(peers: Iterable<PeerService>, settings: Settings): () => void {
  const signer = new InternalIdentitySigner(secret(settings, 'INTERNAL_JWT_SECRET'), settings.auth.internalTokenTtlSeconds);
  const connected: ResilientCall[] = [];
  for (const service of peers) {
    const resilience = { ...settings.resilience[service.name as SubgraphName], timeoutMs: settings.subgraph.peerTimeoutMs };
    const call = new ResilientCall(service.name, () => readyUrlOf(service.url), resilience, { caller: service.caller });
    clients.set(service, { call, signer, timeoutMs: resilience.timeoutMs });
    connected.push(call);
  }
  return () => {
    for (const call of connected) call.shutdown();
  };
}

type EntitiesBody = { data?: { _entities?: unknown[] }; errors?: unknown[] };

// Writes that span services (an order needs an existing customer) ask the owning subgraph
// through its federation entry point, never through its database. Lookups are reads, so they
// are retried; a peer that answered with an error (a 4xx, GraphQL errors) is up, and its answer
// is neither retried nor counted against its circuit.
export async function fetchEntities<T>(peer: PeerService, typename: string, ids: readonly string[], selection: string): Promise<(T | null)[]> {
  const client = clients.get(peer);
  if (!client) throw new Error(`The ${peer.name} peer of ${peer.caller} was not connected when the subgraph started`);
  const query = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${typename} { ${selection} } } }`;
  const body = JSON.stringify({ query, variables: { representations: ids.map((id) => ({ __typename: typename, id })) } });
  const answer = await client.call.run(async () => {
    const response = await fetch(peer.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: await client.signer.sign({ kind: 'service', service: peer.caller }) },
      body,
      signal: AbortSignal.timeout(client.timeoutMs),
    });
    if (response.status >= 500) throw new Error(`${peer.name} answered ${response.status}`);
    return { status: response.status, body: (await response.json().catch(() => null)) as EntitiesBody | null };
  }, 'read');
  const entities = answer.body?.data?._entities;
  if (answer.status !== 200 || !entities || answer.body?.errors?.length) throw new SubgraphUnavailableError(peer.name, `answered with status ${answer.status}`);
  // A peer that answered too late for the write that asked: the gateway has given up on it and
  // told the client it failed, so it must not happen.
  if (timeLeftMs() < WRITE_MARGIN_MS) throw new SubgraphUnavailableError(peer.name, 'it answered too late to write anything; nothing was written');
  return entities as (T | null)[];
}

// The refusals a peer's answer passes on to the client as they are.
const PASSED_ON = new Set<string>(['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT'] satisfies ErrorCode[]);

type MutationBody<T> = { data?: T | null; errors?: { message: string; extensions?: { code?: string; field?: string } }[] };

// Asks a peer to act through one of its internal (@inaccessible) mutations. A write is never
// retried; a peer that answered with a client error (CONFLICT and the like) passes it on to
// the caller as that error, anything else is the peer being unavailable.
export async function callPeerMutation<T>(peer: PeerService, query: string, variables: Record<string, unknown>): Promise<T> {
  const client = clients.get(peer);
  if (!client) throw new Error(`The ${peer.name} peer of ${peer.caller} was not connected when the subgraph started`);
  // The peer gets the time this caller will wait, so it rolls back (lib/db.ts) a write it could
  // only commit after this caller gave up, such as a deletion hold nobody would release.
  const budgetMs = Math.max(1, Math.floor(Math.min(timeLeftMs(), client.timeoutMs)));
  const answer = await client.call.run(async () => {
    const response = await fetch(peer.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [IDENTITY_HEADER]: await client.signer.sign({ kind: 'service', service: peer.caller }),
        ...deadlineHeaders(budgetMs),
      },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(budgetMs),
    });
    if (response.status >= 500) throw new Error(`${peer.name} answered ${response.status}`);
    return { status: response.status, body: (await response.json().catch(() => null)) as MutationBody<T> | null };
  }, 'write');
  const error = answer.body?.errors?.[0];
  if (error?.extensions?.code && PASSED_ON.has(error.extensions.code)) throw clientError(error.extensions.code as ErrorCode, error.message, error.extensions.field);
  if (answer.status !== 200 || !answer.body?.data || error) throw new SubgraphUnavailableError(peer.name, `answered with status ${answer.status}`);
  return answer.body.data;
}
