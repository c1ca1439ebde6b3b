import { IDENTITY_HEADER, InternalIdentitySigner, secretFromEnv } from './auth';
import { SubgraphUnavailableError } from './errors';

// Another subgraph this one asks, and who is asking (named in the signed identity it sends).
export type PeerService = { name: string; url: string; caller: string };

// Made on first use, so importing this module reads no secret.
let signer: InternalIdentitySigner | undefined;

const TIMEOUT_MS = Number(process.env.PEER_TIMEOUT_MS ?? 5_000);

// Writes that span services (an order needs an existing customer) ask the owning subgraph
// through its federation entry point, never through its database.
export async function fetchEntities<T>(peer: PeerService, typename: string, ids: readonly string[], selection: string): Promise<(T | null)[]> {
  const query = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${typename} { ${selection} } } }`;
  let response: Response;
  try {
    response = await fetch(peer.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: await (signer ??= new InternalIdentitySigner(secretFromEnv('INTERNAL_JWT_SECRET'))).sign({ kind: 'service', service: peer.caller }) },
      body: JSON.stringify({ query, variables: { representations: ids.map((id) => ({ __typename: typename, id })) } }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new SubgraphUnavailableError(peer.name, (error as Error).name === 'TimeoutError' ? 'timed out' : 'not reachable');
  }
  const body = (await response.json().catch(() => null)) as { data?: { _entities?: (T | null)[] }; errors?: unknown[] } | null;
  if (!response.ok || !body?.data?._entities || body.errors?.length) {
    throw new SubgraphUnavailableError(peer.name, `answered with status ${response.status}`);
  }
  return body.data._entities;
}
