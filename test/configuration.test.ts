import { runService } from './process-platform';

// The messages a service started as a container logged (its JSON log lines' errors).
async function messagesOf(entry: string, env: Record<string, string>): Promise<{ code: number | null; messages: string[] }> {
  const { code, output } = await runService(entry, { NODE_ENV: '', ...env });
  const lines = output.split('\n').filter((line) => line.startsWith('{'));
  return { code, messages: lines.map((line) => (JSON.parse(line) as { err?: { message?: string } }).err?.message ?? '') };
}

const WRONG = {
  DATABASE_POOL_SIZE: 'abc',
  SHUTDOWN_GRACE_MS: '5s',
  LOG_LEVEL: 'loud',
  SUBGRAPH_RETRIES: 'many',
};
const NAMED = [
  'DATABASE_POOL_SIZE must be a whole number between 1 and 100, got "abc"',
  'SHUTDOWN_GRACE_MS must be a whole number of milliseconds between 0 and 600000, got "5s"',
  'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
  'SUBGRAPH_RETRIES must be a whole number between 0 and 10, got "many"',
];

describe('a service started alone with wrong settings', () => {
  it.each([
    ['the gateway', 'gateway/src/server.ts', { ...WRONG, CORS_ORIGINS: 'crm.example.com' }, [...NAMED, 'CORS_ORIGINS must be comma-separated origins such as https://crm.example.com, got "crm.example.com"']],
    ['a subgraph', 'subgraphs/sales/src/server.ts', { ...WRONG, SALES_DATABASE_URL: 'postgresql://127.0.0.1:1/none', PEER_TIMEOUT_MS: '-1' }, [...NAMED, 'PEER_TIMEOUT_MS must be a whole number of milliseconds between 1 and 600000, got "-1"']],
    ['a subgraph with a database URL that is not one', 'subgraphs/customer/src/server.ts', { CUSTOMER_DATABASE_URL: 'localhost:5432/customer' }, ['CUSTOMER_DATABASE_URL must be a postgres:// or postgresql:// URL, got "localhost:5432/customer"']],
    // Without the check it starts on the development secrets, as no production rule applies.
    ['a subgraph with a mistyped NODE_ENV and no secrets', 'subgraphs/sales/src/server.ts', { NODE_ENV: 'prod', SALES_DATABASE_URL: 'postgresql://127.0.0.1:1/none' }, ['NODE_ENV must be one of development, test, production, got "prod"']],
  ])('%s exits 1, naming every wrong variable and the form it must take', async (_case, entry, env, named) => {
    const { code, messages } = await messagesOf(entry, env);
    expect(code).toBe(1);
    expect(messages).toHaveLength(1);
    expect(messages[0].split('; ').sort()).toEqual([...named].sort());
  });
});
