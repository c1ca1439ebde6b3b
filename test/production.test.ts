import { randomBytes } from 'node:crypto';
import { mintDevelopmentToken, signUserToken } from '../gateway/src/authentication';
import { DEVELOPMENT_SECRETS, secretFromEnv } from '../lib/auth';
import { expectNoErrors, postGraphQL, startTestPlatform, type TestPlatform } from './harness';
import { runService } from './process-platform';

// As `openssl rand -base64 32` makes them.
const STRONG = { AUTH_JWT_SECRET: randomBytes(32).toString('base64'), INTERNAL_JWT_SECRET: randomBytes(32).toString('base64'), AUTH_ISSUER: 'crm-dev', AUTH_AUDIENCE: 'crm-api' };

describe('production refuses missing and default secrets', () => {
  it.each([
    ['the gateway without a user token secret', 'gateway/src/server.ts', { ...STRONG, AUTH_JWT_SECRET: '' }, 'AUTH_JWT_SECRET is not set'],
    ['the gateway without a token issuer', 'gateway/src/server.ts', { ...STRONG, AUTH_ISSUER: '' }, 'AUTH_ISSUER is not set'],
    ['the gateway with the development user token secret', 'gateway/src/server.ts', { ...STRONG, AUTH_JWT_SECRET: DEVELOPMENT_SECRETS.AUTH_JWT_SECRET }, 'AUTH_JWT_SECRET still has its default value'],
    ['the gateway with the manifest placeholder', 'gateway/src/server.ts', { ...STRONG, INTERNAL_JWT_SECRET: 'CHANGE_ME-internal-identity-secret-000000' }, 'INTERNAL_JWT_SECRET still has its default value'],
    ['the gateway with a short secret', 'gateway/src/server.ts', { ...STRONG, INTERNAL_JWT_SECRET: 'short' }, 'INTERNAL_JWT_SECRET must be at least 32 characters'],
    ['the gateway with 32 spaces as its user token secret', 'gateway/src/server.ts', { ...STRONG, AUTH_JWT_SECRET: ' '.repeat(32) }, 'AUTH_JWT_SECRET is too easy to guess'],
    ['the gateway with 32 × "a" as its internal secret', 'gateway/src/server.ts', { ...STRONG, INTERNAL_JWT_SECRET: 'a'.repeat(32) }, 'INTERNAL_JWT_SECRET is too easy to guess'],
    ['the gateway with a secret of two characters repeated', 'gateway/src/server.ts', { ...STRONG, INTERNAL_JWT_SECRET: 'ab'.repeat(32) }, 'INTERNAL_JWT_SECRET is too easy to guess'],
    ['the gateway with one value for both secrets', 'gateway/src/server.ts', { ...STRONG, INTERNAL_JWT_SECRET: STRONG.AUTH_JWT_SECRET }, 'AUTH_JWT_SECRET and INTERNAL_JWT_SECRET must be different'],
    ['a subgraph without the internal secret', 'subgraphs/sales/src/server.ts', { SALES_DATABASE_URL: 'postgresql://127.0.0.1:1/none' }, 'INTERNAL_JWT_SECRET is not set'],
    ['a subgraph with 40 × "b" as its internal secret', 'subgraphs/sales/src/server.ts', { SALES_DATABASE_URL: 'postgresql://127.0.0.1:1/none', INTERNAL_JWT_SECRET: 'b'.repeat(40) }, 'INTERNAL_JWT_SECRET is too easy to guess'],
    ['a subgraph with a word repeated as its internal secret', 'subgraphs/sales/src/server.ts', { SALES_DATABASE_URL: 'postgresql://127.0.0.1:1/none', INTERNAL_JWT_SECRET: 'passwordpasswordpassword12345678' }, 'INTERNAL_JWT_SECRET is too easy to guess'],
    ['a subgraph whose internal secret is the user token secret', 'subgraphs/sales/src/server.ts', { SALES_DATABASE_URL: 'postgresql://127.0.0.1:1/none', INTERNAL_JWT_SECRET: STRONG.AUTH_JWT_SECRET, AUTH_JWT_SECRET: STRONG.AUTH_JWT_SECRET }, 'INTERNAL_JWT_SECRET and AUTH_JWT_SECRET must be different'],
    ['the token script', 'scripts/dev-token.ts', STRONG, 'Development tokens cannot be minted in production'],
  ])('%s exits with a message naming the problem', async (_case, entry, env, message) => {
    const { code, output } = await runService(entry, env);
    expect(code).toBe(1);
    expect(output).toContain(message);
  });
});

// Each of these has 32+ characters drawn from enough character classes to pass a rule that
// counts only length and character classes, yet each is a pattern a guesser tries early.
describe('production refuses patterned secrets', () => {
  it.each([
    'abcdefghabcdefghabcdefghabcdefgh',
    '0123456789abcdef0123456789abcdef',
    'aaaaaaaaaaaaaaaaaaaaaaaaabcdefgh',
    'passwordpasswordpassword12345678',
    '00000000000000000000000012345678',
    'ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF',
  ])('refuses %s', (value) => {
    expect(() => secretFromEnv('INTERNAL_JWT_SECRET', { NODE_ENV: 'production', INTERNAL_JWT_SECRET: value })).toThrow('Refusing to start in production: INTERNAL_JWT_SECRET is too easy to guess');
  });
});

describe('production accepts random secrets', () => {
  const saved = { NODE_ENV: process.env.NODE_ENV, AUTH_JWT_SECRET: process.env.AUTH_JWT_SECRET, INTERNAL_JWT_SECRET: process.env.INTERNAL_JWT_SECRET };
  afterAll(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  // Hundreds of each, so a rule that refuses an unlucky draw shows up here rather than at a deploy.
  it.each([
    ['`openssl rand -hex 32`', () => randomBytes(32).toString('hex')],
    ['`openssl rand -base64 32`', () => randomBytes(32).toString('base64')],
    ['`openssl rand -hex 16` (32 hex characters, 128 bits)', () => randomBytes(16).toString('hex')],
    ['`openssl rand -base64 24` (32 characters, 192 bits)', () => randomBytes(24).toString('base64')],
    ['32 random bytes in base64url', () => randomBytes(32).toString('base64url')],
  ])('accepts values made with %s', (_case, make) => {
    process.env.NODE_ENV = 'production';
    for (let i = 0; i < 500; i++) {
      const [user, internal] = [make(), make()];
      Object.assign(process.env, { AUTH_JWT_SECRET: user, INTERNAL_JWT_SECRET: internal });
      expect(secretFromEnv('AUTH_JWT_SECRET')).toBe(user);
      expect(secretFromEnv('INTERNAL_JWT_SECRET')).toBe(internal);
    }
  });
});

describe('production mode', () => {
  let platform: TestPlatform;
  const saved = Object.fromEntries(['NODE_ENV', ...Object.keys(STRONG)].map((key) => [key, process.env[key]]));
  let authorization: Record<string, string>;

  beforeAll(async () => {
    Object.assign(process.env, { NODE_ENV: 'production', ...STRONG });
    platform = await startTestPlatform();
    // In production tokens come from an identity provider sharing the configured secret.
    const token = await signUserToken({ secret: STRONG.AUTH_JWT_SECRET, issuer: STRONG.AUTH_ISSUER, audience: STRONG.AUTH_AUDIENCE, rolesClaim: 'roles' }, { sub: 'ops', roles: ['ADMIN'] }, '5m');
    authorization = { authorization: `Bearer ${token}` };
  });
  afterAll(async () => {
    await platform?.stop();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('serves signed-in users', async () => {
    expectNoErrors(await postGraphQL(platform.gatewayUrl, '{ customers { totalCount } }', {}, authorization));
  });

  it('turns off introspection and Sandbox', async () => {
    const introspection = await postGraphQL(platform.gatewayUrl, '{ __schema { types { name } } }', {}, authorization);
    expect(introspection.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const page = await fetch(platform.gatewayUrl, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('embeddable-sandbox');
  });

  it('answers errors without stack traces or field suggestions', async () => {
    const typo = await postGraphQL(platform.gatewayUrl, '{ customers { totalCont } }', {}, authorization);
    expect(typo.status).toBe(400);
    expect(JSON.stringify(typo.body)).not.toMatch(/Did you mean|stacktrace/);
    const invalid = await postGraphQL(platform.gatewayUrl, '{ customer(id: "nope") { id } }', {}, authorization);
    expect(invalid.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(invalid.body)).not.toMatch(/stacktrace|at .*\.ts:\d+/);
  });

  // Each one suggests a name in development ("Did you mean …?"), which maps the schema for
  // someone who cannot introspect it.
  it.each([
    ['a misspelt enum value in a literal', '{ customers(filter: { status: [ACTIV] }) { totalCount } }', undefined],
    ['a misspelt enum value in a literal orderBy', '{ customers(orderBy: { field: NAM }) { totalCount } }', undefined],
    ['a misspelt enum value in a variable', 'query($s: [LifecycleStatus!]) { customers(filter: { status: $s }) { totalCount } }', { s: ['ACTIV'] }],
    ['a misspelt enum value in an orderBy variable', 'query($o: CustomerOrder) { customers(orderBy: $o) { totalCount } }', { o: { field: 'NAM', direction: 'AS' } }],
    ['a misspelt input field in a variable', 'query($o: CustomerOrder) { customers(orderBy: $o) { totalCount } }', { o: { feild: 'NAME' } }],
    ['a misspelt input field in a literal', '{ customers(filter: { stauts: [ACTIVE] }) { totalCount } }', undefined],
    ['a misspelt field', '{ customers { totalCont } }', undefined],
    ['a misspelt argument', '{ customers(frist: 1) { totalCount } }', undefined],
    ['a misspelt variable type', 'query($f: CustomerFiltr) { customers(filter: $f) { totalCount } }', undefined],
    ['a misspelt type in a fragment', '{ customers { nodes { ... on Custmer { id } } } }', undefined],
  ])('suggests nothing for %s', async (_case, query, variables) => {
    const response = await postGraphQL(platform.gatewayUrl, query, variables, authorization);
    expect(response.status).toBe(400);
    expect(['GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']).toContain(response.body.errors?.[0].extensions?.code);
    expect(JSON.stringify(response.body)).not.toMatch(/did you mean|suggestion/i);
    expect(response.body.errors?.[0].message).toMatch(/(does not exist in|is not defined by type|Cannot query field|Unknown argument|Unknown type) "\w+/);
  });

  it('serves the web console but hands out no demo users\' tokens', async () => {
    const origin = new URL(platform.gatewayUrl).origin;
    const page = await fetch(`${origin}/customers/42`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    expect((await fetch(`${origin}/dev/demo-users`)).status).toBe(404);
    const token = await fetch(`${origin}/dev/demo-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'admin' }) });
    expect(token.status).toBe(404);
    expect(await token.text()).not.toMatch(/eyJ/);
  });

  it('refuses development tokens', async () => {
    await expect(mintDevelopmentToken('admin')).rejects.toThrow('cannot be minted in production');
    const developmentToken = await signUserToken({ secret: DEVELOPMENT_SECRETS.AUTH_JWT_SECRET, issuer: STRONG.AUTH_ISSUER, audience: STRONG.AUTH_AUDIENCE, rolesClaim: 'roles' }, { sub: 'user-admin', roles: ['ADMIN'] }, '5m');
    expect((await postGraphQL(platform.gatewayUrl, '{ customers { totalCount } }', {}, { authorization: `Bearer ${developmentToken}` })).status).toBe(401);
  });
});
