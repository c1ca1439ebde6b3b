import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { chromium, type Browser } from 'playwright-core';
import { gatewayCors } from '../gateway/src/cors';
import { mintDevelopmentToken } from '../gateway/src/authentication';
import { startTestPlatform, type TestPlatform } from './harness';

// Web apps on other origins call the gateway: CORS answers their preflight, CSRF prevention
// still refuses simple cross-origin requests, and a browser proves it end to end.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ALLOWED_PAGE_HOST = '127.0.0.2';
const REFUSED_PAGE_HOST = '127.0.0.3';

let platform: TestPlatform;
let pageServer: http.Server;
let pagePort: number;

beforeAll(async () => {
  pageServer = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>CRM client</title>'));
  await new Promise<void>((resolve) => pageServer.listen(0, '0.0.0.0', resolve));
  pagePort = (pageServer.address() as AddressInfo).port;
  process.env.CORS_ORIGINS = `http://${ALLOWED_PAGE_HOST}:${pagePort}`;
  platform = await startTestPlatform();
});
afterAll(async () => {
  delete process.env.CORS_ORIGINS;
  await platform?.stop();
  await new Promise((resolve) => pageServer?.close(resolve));
});

const preflight = (origin: string) =>
  fetch(platform.gatewayUrl, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });

describe('CORS at the gateway', () => {
  it('answers the preflight of a configured origin and of localhost origins in development', async () => {
    for (const origin of [`http://${ALLOWED_PAGE_HOST}:${pagePort}`, 'http://localhost:5173', 'http://127.0.0.1:3000']) {
      const response = await preflight(origin);
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
      expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    }
  });

  it('gives other origins no CORS headers', async () => {
    for (const origin of ['https://evil.example', `http://${REFUSED_PAGE_HOST}:${pagePort}`, 'http://localhost.evil.example']) {
      const response = await preflight(origin);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('allows only configured origins when localhost is not allowed (production)', async () => {
    const app = express().use(gatewayCors(['https://crm.example.com'], false)).use((_req, res) => void res.send('ok'));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
      const allowed = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://crm.example.com', 'access-control-request-method': 'POST' } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://crm.example.com');
      const localhost = await fetch(url, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' } });
      expect(localhost.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('still refuses a simple cross-origin POST (CSRF prevention)', async () => {
    const response = await fetch(platform.gatewayUrl, { method: 'POST', headers: { origin: 'http://localhost:5173', 'content-type': 'text/plain' }, body: '{"query":"{ __typename }"}' });
    expect(response.status).toBe(400);
  });
});

// CI always has Chromium (.ci/run installs it); elsewhere these run when it is installed.
(existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip)('a page on another localhost origin in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
  });
  afterAll(() => browser?.close());

  async function queryFromPage(pageHost: string): Promise<unknown> {
    const page = await browser.newPage();
    try {
      await page.goto(`http://${pageHost}:${pagePort}/`);
      const token = await mintDevelopmentToken('viewer', '10m');
      return await page.evaluate(
        async ({ url, token }) => {
          try {
            const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ customers { totalCount } }' }) });
            return { status: response.status, body: await response.json() };
          } catch (error) {
            return { failed: String(error) };
          }
        },
        { url: platform.gatewayUrl, token },
      );
    } finally {
      await page.close();
    }
  }

  it('queries the gateway with a token from an allowed origin', async () => {
    expect(await queryFromPage(ALLOWED_PAGE_HOST)).toEqual({ status: 200, body: { data: { customers: { totalCount: 0 } } } });
  });

  it('is stopped by the browser from an origin that is not allowed', async () => {
    expect(await queryFromPage(REFUSED_PAGE_HOST)).toEqual({ failed: expect.stringContaining('Failed to fetch') });
  });
});
