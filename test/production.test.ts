import { spawn } from 'node:child_process';
import path from 'node:path';
import { mintDevelopmentToken, signUserToken } from '../gateway/src/authentication';
import { DEVELOPMENT_SECRETS } from '../lib/auth';
import { expectNoErrors, postGraphQL, startTestPlatform, type TestPlatform } from './harness';

const root = path.join(__dirname, '..');

// Starts a service as its container would and returns how it ended and what it said.
function runService(entry: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, entry)], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const STRONG = { AUTH_JWT_SECRET: 'a'.repeat(40), INTERNAL_JWT_SECRET: 'b'.repeat(40), AUTH_ISSUER: 'crm-dev', AUTH_AUDIENCE: 'crm-api' };

describe('production refuses missing and default secrets', () => {
  it.each([
    ['the gateway without a user token secret', 'gateway/src/server.ts', { ...STRONG, AUTH_JWT_SECRET: '' }, 'AUTH_JWT_SECRET is not set'],
    ['the gateway without a token issuer', 'gateway/src/server.ts', { ...STRONG, AUTH_ISSUER: '' }, 'AUTH_ISSUER is not set'],
    ['the gateway with the development user token secret', 'gateway/src/server.ts', { ...STRONG, AUTH_JWT_SECRET: DEVELOPMENT_SECRETS.AUTH_JWT_SECRET }, 'AUTH_JWT_SECRET still has its default value'],
    ['the gateway with the manifest placeholder', 'gateway/src/server.ts', { ...STRONG, INTERNAL_JWT_SECRET: 'CHANGE_ME-internal-identity-secret-000000' }, 'INTERNAL_JWT_SECRET still has its default value'],
    ['the gateway with a short secret', 'gateway/src/server.ts', { ...STRONG, INTERNAL_JWT_SECRET: 'short' }, 'INTERNAL_JWT_SECRET must be at least 32 characters'],
    ['a subgraph without the internal secret', 'subgraphs/sales/src/server.ts', { SALES_DATABASE_URL: 'postgresql://127.0.0.1:1/none' }, 'INTERNAL_JWT_SECRET is not set'],
    ['the token script', 'scripts/dev-token.ts', STRONG, 'Development tokens cannot be minted in production'],
  ])('%s exits with a message naming the problem', async (_case, entry, env, message) => {
    const { code, output } = await runService(entry, env);
    expect(code).toBe(1);
    expect(output).toContain(message);
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

  it('refuses development tokens', async () => {
    await expect(mintDevelopmentToken('admin')).rejects.toThrow('cannot be minted in production');
    const developmentToken = await signUserToken({ secret: DEVELOPMENT_SECRETS.AUTH_JWT_SECRET, issuer: STRONG.AUTH_ISSUER, audience: STRONG.AUTH_AUDIENCE, rolesClaim: 'roles' }, { sub: 'user-admin', roles: ['ADMIN'] }, '5m');
    expect((await postGraphQL(platform.gatewayUrl, '{ customers { totalCount } }', {}, { authorization: `Bearer ${developmentToken}` })).status).toBe(401);
  });
});
