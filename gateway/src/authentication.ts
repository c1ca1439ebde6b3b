import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { ANONYMOUS, AuthenticationError, InsecureConfigurationError, rolesFromClaim, type Identity, type Role } from '../../lib/auth';
import { loadSettings, userTokenSettings, type Settings, type UserTokenSettings } from '../../lib/config';

// A token whose roles claim has another shape is refused: reading it some other way could
// grant a role the identity provider did not.
function rolesOf(payload: JWTPayload, claim: string): Role[] {
  const roles = rolesFromClaim(payload[claim]);
  if (!roles) throw new AuthenticationError(`The token was rejected: its ${claim} claim must be a list of role names or a space-separated string of them`);
  return roles;
}

// jose only checks that sub is present. Downstream a number would make the user anonymous and
// an empty string a user without an id; an object would make the identity signer throw inside
// the gateway's subgraph call, counted against that subgraph's breaker. The value travels in
// every identity header, so its length is bounded too.
const MAX_SUBJECT_LENGTH = 256;
function subjectOf(payload: JWTPayload): string {
  const { sub } = payload;
  if (typeof sub !== 'string' || !sub || sub.length > MAX_SUBJECT_LENGTH) {
    throw new AuthenticationError(`The token was rejected: its sub claim must be a non-empty string of at most ${MAX_SUBJECT_LENGTH} characters`);
  }
  return sub;
}

// jose's codes for a key set it could not fetch or read: the provider's fault, not the token's.
const PROVIDER_FAILURES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

// Turns the Authorization header into an identity: none → anonymous (protected fields then
// answer UNAUTHENTICATED); a token that is malformed, expired, or from the wrong issuer or
// audience → AuthenticationError, which the gateway answers with 401 (503 when the identity
// provider's keys cannot be fetched).
export function createUserAuthenticator(settings: UserTokenSettings): (authorization: string | undefined) => Promise<Identity> {
  const options = { issuer: settings.issuer, audience: settings.audience, requiredClaims: ['sub', 'exp'], clockTolerance: 5 };
  const jwks = 'jwksUrl' in settings ? createRemoteJWKSet(new URL(settings.jwksUrl)) : null;
  const secret = 'secret' in settings ? new TextEncoder().encode(settings.secret) : null;
  const verify = (token: string) =>
    jwks ? jwtVerify(token, jwks, { ...options, algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'] }) : jwtVerify(token, secret!, { ...options, algorithms: ['HS256'] });
  // Clients send the same token with every request; a verified one is remembered until it
  // expires (a JWT cannot be revoked earlier anyway), which saves the gateway 4 % of its CPU.
  const verified = new Map<string, { identity: Identity; expiresAt: number }>();
  return async (authorization) => {
    if (!authorization) return ANONYMOUS;
    const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    if (!token) throw new AuthenticationError('The Authorization header must be "Bearer <token>"');
    const known = verified.get(token);
    if (known && known.expiresAt > Date.now()) return known.identity;
    let payload: JWTPayload;
    try {
      ({ payload } = await verify(token));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (jwks && (!code?.startsWith('ERR_J') || PROVIDER_FAILURES.has(code))) {
        throw new AuthenticationError("The identity provider's keys could not be fetched; try again shortly", 503);
      }
      throw new AuthenticationError(code === 'ERR_JWT_EXPIRED' ? 'The token has expired' : code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' ? `The token was rejected: ${(error as Error).message}` : 'The token is not valid');
    }
    const identity: Identity = { kind: 'user', userId: subjectOf(payload), roles: rolesOf(payload, settings.rolesClaim), expiresAt: payload.exp! * 1000 };
    if (verified.size >= 10_000) verified.clear();
    verified.set(token, { identity, expiresAt: payload.exp! * 1000 });
    return identity;
  };
}

// The demo users of `npm start`; the sales user owns part of the demo customers (user-1).
export const DEMO_USERS = {
  admin: { sub: 'user-admin', name: 'Ada Admin', roles: ['ADMIN'] },
  sales: { sub: 'user-1', name: 'Sam Sales', roles: ['SALES'] },
  marketing: { sub: 'user-marketing', name: 'Mia Marketing', roles: ['MARKETING'] },
  viewer: { sub: 'user-viewer', name: 'Vic Viewer', roles: ['VIEWER'] },
} as const satisfies Record<string, { sub: string; name: string; roles: Role[] }>;

export type DemoUser = keyof typeof DEMO_USERS;

// An HS256 user token as an identity provider sharing the secret would issue it: for the demo
// users here, and for the benchmark and tests, which run in production mode.
export function signUserToken(settings: { secret: string; issuer: string; audience: string; rolesClaim: string }, user: { sub: string; roles: readonly Role[]; name?: string }, expiresIn: string): Promise<string> {
  return new SignJWT({ ...(user.name ? { name: user.name } : {}), [settings.rolesClaim]: user.roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user.sub)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(settings.secret));
}

// Development only: production tokens come from an identity provider, never from the platform.
// The environment is read on each call, as tests change it between platforms.
export async function mintDevelopmentToken(user: DemoUser, expiresIn = '12h', settings: Settings = loadSettings(), userTokens?: UserTokenSettings): Promise<string> {
  if (settings.production) throw new InsecureConfigurationError('Development tokens cannot be minted in production (NODE_ENV=production)');
  const signing = userTokens ?? userTokenSettings(settings);
  if (!('secret' in signing)) throw new InsecureConfigurationError('AUTH_JWKS_URL is set: tokens come from that identity provider');
  return signUserToken(signing, DEMO_USERS[user], expiresIn);
}
