import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { SignJWT, jwtVerify } from 'jose';

export const ROLES = ['ADMIN', 'SALES', 'MARKETING', 'VIEWER'] as const;
export type Role = (typeof ROLES)[number];

// Who a request runs as: a signed-in user, a subgraph checking something with another one,
// or nobody (the gateway still vouches that the request came through it).
export type Identity =
  // expiresAt: when the user's token stops being valid (ms since the epoch), where it is known.
  | { kind: 'user'; userId: string; roles: Role[]; expiresAt?: number }
  | { kind: 'service'; service: string }
  | { kind: 'anonymous' };

export const ANONYMOUS: Identity = { kind: 'anonymous' };

// The header the gateway (and a subgraph calling a peer) sends the signed identity in.
export const IDENTITY_HEADER = 'x-crm-identity';

const INTERNAL_ISSUER = 'crm-gateway';
const INTERNAL_AUDIENCE = 'crm-subgraphs';
export const DEFAULT_INTERNAL_TOKEN_TTL_SECONDS = 60;
const MIN_SECRET_LENGTH = 32;
// zxcvbn estimates the guesses of a cracker who tries words, repeats, sequences, keyboard walks
// and dates before brute force. It counts a random character as only 10 guesses, so 32 random
// characters estimate at about 2^106 and an `openssl rand -hex 16` draw that happens to hold a
// date or a word falls to about 2^89 (the lowest in 40,000 draws; 2^100 would refuse one in
// sixteen). 2^80 refuses values made of patterns, which estimate below 2^40, and no random one.
const MIN_SECRET_GUESSES_LOG2 = 80;
let strengthEstimator: ZxcvbnFactory | undefined;

function guessesLog2(value: string): number {
  // Built on first use, so only a production start pays for indexing the dictionaries. Trying
  // more than 20 l33t variants of a value left the estimates of patterned secrets unchanged and
  // those of random ones nearly so, while the library's default of 100 takes ten times as long.
  strengthEstimator ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs, l33tMaxSubstitutions: 20 });
  return Math.log2(strengthEstimator.check(value).guesses);
}

// Secrets that make `npm start` and `npm test` work out of the box; production refuses them.
export const DEVELOPMENT_SECRETS = {
  AUTH_JWT_SECRET: 'development-only-user-token-secret-do-not-deploy',
  INTERNAL_JWT_SECRET: 'development-only-internal-identity-secret-do-not-deploy',
} as const;

export class InsecureConfigurationError extends Error {}

// A request whose credentials were present but wrong: the caller gets 401, never a partial
// answer; 503 when they could not be checked.
export class AuthenticationError extends Error {
  constructor(
    message: string,
    readonly status: 401 | 503 = 401,
  ) {
    super(message);
  }
}

// In production a secret must be set, must not be a development default or a placeholder, must
// be long and random enough to resist guessing, and must not be the other secret: whoever
// holds the user-token secret could otherwise sign identities the subgraphs trust. The message
// names the variable to fix. Services apply these rules to the environment their settings were
// read from (lib/config.ts) when they start, since which secrets are needed depends on the service.
export function secretFromEnv(name: keyof typeof DEVELOPMENT_SECRETS, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const value = env[name];
  if (env.NODE_ENV !== 'production') return value || DEVELOPMENT_SECRETS[name];
  if (!value) throw new InsecureConfigurationError(`Refusing to start in production: ${name} is not set`);
  if (value === DEVELOPMENT_SECRETS[name] || /change.?me/i.test(value)) {
    throw new InsecureConfigurationError(`Refusing to start in production: ${name} still has its default value`);
  }
  if (value.length < MIN_SECRET_LENGTH) {
    throw new InsecureConfigurationError(`Refusing to start in production: ${name} must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  if (guessesLog2(value) < MIN_SECRET_GUESSES_LOG2) {
    throw new InsecureConfigurationError(
      `Refusing to start in production: ${name} is too easy to guess (it is made of words, repeats, sequences or dates that guessers try first); use a random value such as \`openssl rand -base64 32\``,
    );
  }
  const other = name === 'AUTH_JWT_SECRET' ? 'INTERNAL_JWT_SECRET' : 'AUTH_JWT_SECRET';
  if (env[other] === value) throw new InsecureConfigurationError(`Refusing to start in production: ${name} and ${other} must be different secrets`);
  return value;
}

export const isRole = (value: unknown): value is Role => ROLES.includes(value as Role);

// A roles claim is a list of role names or one string of space-separated names, as identity
// providers write them; roles this platform does not know are dropped. Any other shape is null,
// never coerced: String(["ADMIN"]) is "ADMIN", and an object's toString may throw.
export function rolesFromClaim(value: unknown): Role[] | null {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? value.split(/\s+/) : value;
  if (!Array.isArray(list) || !list.every((role) => typeof role === 'string')) return null;
  return [...new Set(list.map((role: string) => role.toUpperCase()).filter(isRole))];
}

type InternalClaims = { roles?: unknown; svc?: unknown };

// The identity in a short-lived token signed with the secret the gateway and subgraphs share,
// so a caller who goes around the gateway cannot claim to be anyone.
export class InternalIdentitySigner {
  private readonly key: Uint8Array;
  // Signing costs as much as the rest of a small subgraph call, so each identity's token is
  // reused until half its life has passed.
  private readonly cache = new Map<string, { token: string; renewAt: number }>();

  constructor(
    secret: string,
    // INTERNAL_TOKEN_TTL_SECONDS in a running service.
    private readonly ttlSeconds = DEFAULT_INTERNAL_TOKEN_TTL_SECONDS,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async sign(identity: Identity): Promise<string> {
    const cacheKey = identity.kind === 'user' ? `u:${identity.userId}:${identity.roles.join(',')}` : identity.kind === 'service' ? `s:${identity.service}` : 'a';
    const cached = this.cache.get(cacheKey);
    if (cached && cached.renewAt > Date.now()) return cached.token;
    const claims = identity.kind === 'user' ? { roles: identity.roles } : identity.kind === 'service' ? { svc: identity.service } : {};
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer(INTERNAL_ISSUER).setAudience(INTERNAL_AUDIENCE).setIssuedAt().setExpirationTime(`${this.ttlSeconds}s`);
    if (identity.kind === 'user') jwt.setSubject(identity.userId);
    const token = await jwt.sign(this.key);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(cacheKey, { token, renewAt: Date.now() + (this.ttlSeconds * 1000) / 2 });
    return token;
  }
}

export async function verifyInternalIdentity(token: string | undefined, secret: Uint8Array): Promise<Identity> {
  if (!token) throw new AuthenticationError(`Missing ${IDENTITY_HEADER}: subgraphs only answer requests signed by the gateway`);
  let payload: InternalClaims & { sub?: string };
  try {
    // A few seconds of tolerance for clocks that differ between hosts.
    ({ payload } = await jwtVerify<InternalClaims>(token, secret, { issuer: INTERNAL_ISSUER, audience: INTERNAL_AUDIENCE, algorithms: ['HS256'], requiredClaims: ['exp', 'iat'], clockTolerance: 5 }));
  } catch {
    throw new AuthenticationError(`Invalid ${IDENTITY_HEADER}: the signature, issuer, audience or expiry did not check out`);
  }
  if (typeof payload.svc === 'string') return { kind: 'service', service: payload.svc };
  if (typeof payload.sub === 'string') {
    // The gateway signs a list; anything else was not signed by this platform's code.
    const roles = Array.isArray(payload.roles) ? rolesFromClaim(payload.roles) : null;
    if (!roles) throw new AuthenticationError(`Invalid ${IDENTITY_HEADER}: its roles claim must be a list of role names`);
    return { kind: 'user', userId: payload.sub, roles };
  }
  return ANONYMOUS;
}
