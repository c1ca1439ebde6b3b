import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { webConsoleRoutes, type WebConsoleOptions } from './web-console';

// The console's routes on a real HTTP server, in front of a stand-in for the GraphQL path.
async function serve(options: WebConsoleOptions): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(webConsoleRoutes(options));
  app.use('/graphql', (_req, res) => void res.type('text/plain').send('graphql'));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('the web console at the gateway', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof serve>>;
  const minted: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'console-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    server = await serve({ dir, demoToken: async (user) => (minted.push(user), `token-for-${user}`) });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page at / and at the console\'s own routes, with a content security policy', async () => {
    for (const route of ['/', '/customers/42', '/customers/new']) {
      const response = await fetch(server.url + route, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<div id="root">');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(response.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('serves hashed assets as immutable and answers 404 for files it does not have', async () => {
    const asset = await fetch(`${server.url}/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const missing = await fetch(`${server.url}/assets/missing.js`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('Not found');
    expect((await fetch(`${server.url}/favicon.ico`, { headers: { accept: 'text/html' } })).status).toBe(404);
  });

  it('leaves the gateway\'s own paths and other methods alone', async () => {
    const graphql = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await graphql.text()).toBe('graphql');
    // A browser's CORS preflight must reach the gateway's CORS handler.
    for (const route of ['/graphql', '/customers/42']) {
      const preflight = await fetch(server.url + route, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' } });
      expect(preflight.headers.get('allow')).toBeNull();
    }
    expect(await (await fetch(`${server.url}/graphql`, { method: 'OPTIONS' })).text()).toBe('graphql');
    expect((await fetch(`${server.url}/customers/42`, { method: 'POST', headers: { accept: 'text/html' } })).status).toBe(404);
    expect(graphql.headers.get('content-security-policy')).toBeNull();
    expect((await fetch(`${server.url}/ready`, { headers: { accept: 'text/html' } })).status).toBe(404);
    expect(await (await fetch(`${server.url}/GRAPHQL`, { headers: { accept: 'text/html' } })).text()).toBe('graphql');
  });

  it('lists the demo users and mints a token for one of them only', async () => {
    const users = (await (await fetch(`${server.url}/dev/demo-users`)).json()) as { users: { id: string; roles: string[] }[] };
    expect(users.users.map((user) => user.id)).toEqual(['admin', 'sales', 'marketing', 'viewer']);
    const token = await fetch(`${server.url}/dev/demo-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'viewer' }) });
    expect(await token.json()).toEqual({ token: 'token-for-viewer' });
    for (const body of ['{"user":"root"}', '{}', '[]', '"admin"']) {
      const refused = await fetch(`${server.url}/dev/demo-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'user' } }] });
    }
    const malformed = await fetch(`${server.url}/dev/demo-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    expect(minted).toEqual(['viewer']);
  });

  it('offers no demo sign-in where the gateway may not mint tokens', async () => {
    const withoutTokens = await serve({ dir });
    try {
      expect((await fetch(`${withoutTokens.url}/dev/demo-users`)).status).toBe(404);
      expect((await fetch(`${withoutTokens.url}/dev/demo-token`, { method: 'POST' })).status).toBe(404);
    } finally {
      await withoutTokens.close();
    }
  });

  it('serves a console given by a relative path', async () => {
    const relative = await serve({ dir: path.relative(process.cwd(), dir) });
    try {
      const response = await fetch(`${relative.url}/customers/7`, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<div id="root">');
    } finally {
      await relative.close();
    }
  });

  it('says how to build the console when it is not built', async () => {
    const unbuilt = await serve({ dir: path.join(dir, 'nowhere') });
    try {
      const response = await fetch(unbuilt.url, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(404);
      expect(await response.text()).toContain('npm run build:web');
    } finally {
      await unbuilt.close();
    }
  });
});
