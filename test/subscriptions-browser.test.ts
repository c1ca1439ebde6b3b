import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { mintDevelopmentToken } from '../gateway/src/authentication';
import { expectNoErrors, startTestPlatform, type TestPlatform } from './harness';

// A web app on another origin keeps a CRM screen up to date: in a real browser, the graphql-sse
// client subscribes to the gateway over SSE with the user's token and sees a change made by a
// mutation, through CORS.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PAGE = readFileSync(path.join(__dirname, 'fixtures', 'subscriptions-page.html'));
// The browser build graphql-sse ships (its package's "browser" entry).
const SSE_CLIENT = readFileSync(path.join(path.dirname(require.resolve('graphql-sse/package.json')), 'umd', 'graphql-sse.js'));
const SUBSCRIPTION = 'subscription ($id: ID!) { customerChanged(ids: [$id]) { eventId kind customer { name segments { name } } } }';

type Result = { data?: any; errors?: unknown[]; extensions?: Record<string, unknown> };
type PageState = { received: Result[]; failures: string[] };
type SeenResponse = { url: string; status: number; headers: Record<string, string> };
// The page's globals (test/fixtures/subscriptions-page.html); the project's types know no DOM.
type PageWindow = typeof globalThis & PageState & { location: { origin: string }; subscribe(request: object): Promise<void> };

// CI always has Chromium (.ci/run installs it); elsewhere this runs when it is installed.
(existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip)('a page on another localhost origin subscribing over SSE in headless Chromium', () => {
  let platform: TestPlatform;
  let pageServer: http.Server;
  let pageUrl: string;
  let browser: Browser;
  let customerId: string;

  beforeAll(async () => {
    pageServer = http.createServer((req, res) => {
      if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      else if (req.url === '/graphql-sse.js') res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(SSE_CLIENT);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
    pageUrl = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}/`;
    platform = await startTestPlatform();
    expectNoErrors(await platform.gql('mutation { createSegment(input: { name: "VIP", rules: { tagsAny: ["vip"] } }) { id } }'));
    const created = await platform.gql('mutation { createCustomer(input: { name: "Ada Lovelace", tags: ["vip"] }) { id } }');
    expectNoErrors(created);
    customerId = created.body.data!.createCustomer.id;
    // The creation's event is out before the page subscribes: the page is to see the update only.
    await platform.settled();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => pageServer?.close(resolve));
    await platform?.stop();
  });

  it('receives the update a mutation makes, with fields from two subgraphs, through the gateway\'s CORS', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => void (message.type() === 'error' && problems.push(`console: ${message.text()}`)));
    page.on('pageerror', (error) => void problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => void problems.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`));
    // Playwright does not report CORS preflights; the DevTools protocol does.
    const preflights: SeenResponse[] = [];
    const streams: SeenResponse[] = [];
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    cdp.on('Network.responseReceived', ({ type, response }) => {
      const seen = { url: response.url, status: response.status, headers: Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name.toLowerCase(), String(value)])) };
      if (type === 'Preflight') preflights.push(seen);
      else if (type === 'Fetch') streams.push(seen);
    });
    try {
      await page.goto(pageUrl);
      const pageOrigin = await page.evaluate(() => (globalThis as PageWindow).location.origin);
      expect(pageOrigin).not.toBe(new URL(platform.gatewayUrl).origin);

      const token = await mintDevelopmentToken('viewer', '10m');
      await page.evaluate((request) => (globalThis as PageWindow).subscribe(request), { url: platform.gatewayUrl, token, query: SUBSCRIPTION, variables: { id: customerId } });
      expectNoErrors(await platform.gql('mutation ($id: ID!) { updateCustomer(id: $id, input: { name: "Ada King" }) { id } }', { id: customerId }));
      // Bounded: a change that never arrives fails here rather than at Jest's timeout.
      await page.waitForFunction(() => (globalThis as PageWindow).received.length > 0, undefined, { timeout: 15_000 });
      const state: PageState = await page.evaluate(() => ({ received: (globalThis as PageWindow).received, failures: (globalThis as PageWindow).failures }));

      expect(state.failures).toEqual([]);
      expect(state.received).toEqual([
        { data: { customerChanged: { eventId: expect.any(String), kind: 'UPDATED', customer: { name: 'Ada King', segments: [{ name: 'VIP' }] } } }, extensions: expect.objectContaining({ eventId: expect.any(String) }) },
      ]);
      const [result] = state.received;
      expect(result.extensions!.eventId).toBe(result.data.customerChanged.eventId);

      // The Authorization header and the JSON body make the browser ask first; the gateway allowed this origin.
      expect(preflights).toEqual([expect.objectContaining({ url: platform.gatewayUrl, status: 204 })]);
      expect(preflights[0].headers['access-control-allow-origin']).toBe(pageOrigin);
      expect(preflights[0].headers['access-control-allow-headers']).toContain('authorization');
      expect(streams).toEqual([expect.objectContaining({ url: platform.gatewayUrl, status: 200 })]);
      expect(streams[0].headers['content-type']).toContain('text/event-stream');
      expect(streams[0].headers['access-control-allow-origin']).toBe(pageOrigin);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
