import { randomBytes } from 'node:crypto';
import { DEVELOPMENT_SECRETS, InsecureConfigurationError } from './auth';
import { ConfigurationError, loadSettings, secret, standaloneOptions, userTokenSettings } from './config';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message.split('; ');
  }
  throw new Error('the settings were accepted');
};

describe('settings from the environment', () => {
  it('has a default for every setting, so an empty environment starts a development platform', () => {
    const settings = loadSettings({});
    expect(settings).toMatchObject({
      production: false,
      logLevel: 'info',
      host: '0.0.0.0',
      ports: { gateway: 4000, customer: 4001, sales: 4002, marketing: 4003 },
      subgraphUrls: { customer: 'http://127.0.0.1:4001/graphql', sales: 'http://127.0.0.1:4002/graphql', marketing: 'http://127.0.0.1:4003/graphql' },
      databaseUrls: {},
      database: { poolSize: 10, statementTimeoutMs: 2_500 },
      auth: { rolesClaim: 'roles', internalTokenTtlSeconds: 60 },
      gateway: { maxBodyBytes: '1mb', corsOrigins: [], readinessCacheMs: 1_000, maxQueryDepth: 12, maxQueryAliases: 30, maxQueryTokens: 3_000, maxQueryCost: 100_000, maxCallerInflightCost: 150_000 },
      subgraph: { maxBodyBytes: '64mb', peerTimeoutMs: 5_000 },
      shutdownGraceMs: 5_000,
      dev: { seed: true },
    });
    expect(settings.resilience.sales).toEqual({ timeoutMs: 3_000, retries: 2, errorThresholdPercentage: 50, volumeThreshold: 5, resetTimeoutMs: 5_000, apq: false });
    expect(loadSettings({ NODE_ENV: 'test' }).logLevel).toBe('silent');
  });

  it('reads each variable into its typed setting', () => {
    const settings = loadSettings({
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      PORT: '8080',
      SALES_PORT: '9002',
      CUSTOMER_URL: 'https://customer.internal/graphql',
      SALES_DATABASE_URL: 'postgresql://crm@db:5432/sales',
      DATABASE_POOL_SIZE: '25',
      DATABASE_STATEMENT_TIMEOUT_MS: '0',
      CORS_ORIGINS: ' https://crm.example.com/ , http://localhost:5173',
      MAX_BODY_BYTES: '512kb',
      SHUTDOWN_GRACE_MS: '15000',
      SEED: 'false',
    });
    expect(settings.production).toBe(true);
    expect(settings.logLevel).toBe('warn');
    expect(settings.ports).toMatchObject({ gateway: 8080, customer: 8080, sales: 9002, marketing: 8080 });
    expect(settings.subgraphUrls.customer).toBe('https://customer.internal/graphql');
    expect(settings.databaseUrls).toEqual({ sales: 'postgresql://crm@db:5432/sales' });
    expect(settings.database).toEqual({ poolSize: 25, statementTimeoutMs: 0 });
    expect(settings.gateway.corsOrigins).toEqual(['https://crm.example.com', 'http://localhost:5173']);
    expect(settings.gateway.maxBodyBytes).toBe('512kb');
    expect(settings.shutdownGraceMs).toBe(15_000);
    expect(settings.dev.seed).toBe(false);
  });

  it('gives each subgraph its own resilience settings over the shared SUBGRAPH_ ones', () => {
    const { resilience } = loadSettings({ SUBGRAPH_TIMEOUT_MS: '60000', SUBGRAPH_RETRIES: '0', MARKETING_TIMEOUT_MS: '800', MARKETING_APQ: 'true', CUSTOMER_BREAKER_VOLUME: '20' });
    expect(resilience.sales).toMatchObject({ timeoutMs: 60_000, retries: 0, volumeThreshold: 5, apq: false });
    expect(resilience.marketing).toMatchObject({ timeoutMs: 800, retries: 0, apq: true });
    expect(resilience.customer).toMatchObject({ timeoutMs: 60_000, volumeThreshold: 20 });
  });

  it('counts an empty variable as unset', () => {
    expect(loadSettings({ DATABASE_POOL_SIZE: '', HOST: ' ' })).toMatchObject({ database: { poolSize: 10 }, host: '0.0.0.0' });
  });

  it('is frozen, so nothing changes a service’s settings after it started', () => {
    const settings = loadSettings({});
    expect(Object.isFrozen(settings) && Object.isFrozen(settings.resilience.customer) && Object.isFrozen(settings.gateway.corsOrigins)).toBe(true);
  });

  it.each([
    ['DATABASE_POOL_SIZE', 'abc', 'a whole number between 1 and 100'],
    ['DATABASE_POOL_SIZE', '0', 'a whole number between 1 and 100'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '1.5', 'a whole number of milliseconds between 0 and 600000'],
    ['PEER_TIMEOUT_MS', '5s', 'a whole number of milliseconds between 1 and 600000'],
    ['SALES_TIMEOUT_MS', '0', 'a whole number of milliseconds between 1 and 600000'],
    ['SUBGRAPH_BREAKER_ERROR_PERCENT', '150', 'a whole number between 1 and 100'],
    ['CUSTOMER_APQ', 'yes', 'true or false'],
    ['GATEWAY_PORT', '70000', 'a whole number between 0 and 65535'],
    ['MARKETING_URL', 'marketing:4003/graphql', 'an http:// or https:// URL'],
    ['CUSTOMER_DATABASE_URL', 'mysql://db/customer', 'a postgres:// or postgresql:// URL'],
    ['MAX_BODY_BYTES', 'one megabyte', 'a size such as 1048576, 512kb or 1mb'],
    ['CORS_ORIGINS', 'https://crm.example.com/app', 'comma-separated origins such as https://crm.example.com'],
    ['LOG_LEVEL', 'verbose', 'one of fatal, error, warn, info, debug, trace, silent'],
    ['AUTH_JWKS_URL', 'idp.example.com/jwks.json', 'an http:// or https:// URL'],
    ['INTERNAL_TOKEN_TTL_SECONDS', '-60', 'a whole number of seconds between 1 and 86400'],
    ['MAX_QUERY_DEPTH', 'deep', 'a whole number between 1 and 1000'],
    // A mistyped production would otherwise run with the public development secrets.
    ['NODE_ENV', 'prod', 'one of development, test, production'],
    ['NODE_ENV', 'Production', 'one of development, test, production'],
  ])('refuses %s=%s, naming the variable, the expected form and the value', (name, value, expected) => {
    expect(problemsOf({ [name]: value })).toEqual([`${name} must be ${expected}, got ${JSON.stringify(value)}`]);
  });

  it('keeps a caller’s budget of cost in flight at least the cost limit, so any accepted operation can run', () => {
    expect(loadSettings({ MAX_QUERY_COST: '500000' }).gateway.maxCallerInflightCost).toBe(750_000);
    expect(problemsOf({ MAX_QUERY_COST: '500000', MAX_CALLER_INFLIGHT_COST: '400000' })).toEqual(['MAX_CALLER_INFLIGHT_COST must be at least MAX_QUERY_COST (500000), got 400000']);
  });

  it('reports every wrong variable at once', () => {
    expect(problemsOf({ DATABASE_POOL_SIZE: 'abc', SHUTDOWN_GRACE_MS: 'soon', READINESS_CACHE_MS: '-1' })).toEqual([
      'DATABASE_POOL_SIZE must be a whole number between 1 and 100, got "abc"',
      'READINESS_CACHE_MS must be a whole number of milliseconds between 0 and 600000, got "-1"',
      'SHUTDOWN_GRACE_MS must be a whole number of milliseconds between 0 and 600000, got "soon"',
    ]);
  });

  it('leaves secrets to the service that needs them, under the production rules', () => {
    const strong = () => randomBytes(32).toString('base64');
    expect(secret(loadSettings({}), 'INTERNAL_JWT_SECRET')).toBe(DEVELOPMENT_SECRETS.INTERNAL_JWT_SECRET);
    // A subgraph needs no user-token settings, so a production subgraph starts without them.
    const subgraph = loadSettings({ NODE_ENV: 'production', INTERNAL_JWT_SECRET: strong() });
    expect(secret(subgraph, 'INTERNAL_JWT_SECRET')).toHaveLength(44);
    expect(() => userTokenSettings(subgraph)).toThrow(new InsecureConfigurationError('Refusing to start in production: AUTH_ISSUER is not set'));
    const jwks = loadSettings({ NODE_ENV: 'production', AUTH_ISSUER: 'https://idp.example.com', AUTH_AUDIENCE: 'crm', AUTH_JWKS_URL: 'https://idp.example.com/jwks.json' });
    expect(userTokenSettings(jwks)).toEqual({ issuer: 'https://idp.example.com', audience: 'crm', rolesClaim: 'roles', jwksUrl: 'https://idp.example.com/jwks.json' });
    expect(() => userTokenSettings(loadSettings({ NODE_ENV: 'production', AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a' }))).toThrow('AUTH_JWT_SECRET is not set');
  });

  it('refuses a subgraph started alone without its database', () => {
    expect(() => standaloneOptions(loadSettings({}), 'sales', {})).toThrow(new ConfigurationError('SALES_DATABASE_URL is not set'));
    expect(standaloneOptions(loadSettings({ SALES_DATABASE_URL: 'postgres://db/sales', HOST: '10.0.0.5' }), 'sales', {})).toMatchObject({ databaseUrl: 'postgres://db/sales', port: 4002, host: '10.0.0.5' });
  });
});
