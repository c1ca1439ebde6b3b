import { randomBytes } from 'node:crypto';
import { signUserToken } from '../gateway/src/authentication';
import { IDENTITY_HEADER, InternalIdentitySigner } from '../lib/auth';

// The services run in production mode, which refuses development secrets, so each bench run
// makes up its own and signs what each target needs: a user token for a gateway, the identity
// the gateway would have signed for a subgraph (and for Hive Gateway to pass on).
export async function benchCredentials(lifetimeSeconds = 4 * 3600) {
  const secrets = { AUTH_JWT_SECRET: randomBytes(32).toString('base64url'), INTERNAL_JWT_SECRET: randomBytes(32).toString('base64url'), AUTH_ISSUER: 'crm-dev', AUTH_AUDIENCE: 'crm-api' };
  const userToken = await signUserToken(
    { secret: secrets.AUTH_JWT_SECRET, issuer: secrets.AUTH_ISSUER, audience: secrets.AUTH_AUDIENCE, rolesClaim: 'roles' },
    { sub: 'bench', roles: ['ADMIN'] },
    `${lifetimeSeconds}s`,
  );
  const identity = await new InternalIdentitySigner(secrets.INTERNAL_JWT_SECRET, lifetimeSeconds).sign({ kind: 'user', userId: 'bench', roles: ['ADMIN'] });
  return {
    secrets,
    gatewayHeaders: { authorization: `Bearer ${userToken}` },
    subgraphHeaders: { [IDENTITY_HEADER]: identity },
  };
}
