import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

// The web console's browser tests drive Debian's Chromium through playwright-core (no browser
// download). These helpers launch it, sign in through the console's own sign-in page, save a
// screenshot of each step and collect what a page reported going wrong.
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = path.join(__dirname, '..');
export const ARTIFACTS = path.join(root, 'test', 'artifacts', 'web-console');

// Every wait on a page (each context's default timeout): long enough for a busy 2-core machine, short enough that a change
// which never comes fails the step rather than Jest's timeout.
export const UI_TIMEOUT_MS = Number(process.env.WEB_CONSOLE_UI_TIMEOUT_MS ?? 20_000);

// `npm test` builds the console first; a test file run on its own builds it when it is missing.
export function ensureConsoleBuilt(): void {
  if (existsSync(path.join(root, 'web', 'dist', 'index.html'))) return;
  execFileSync(process.execPath, [require.resolve('tsx/cli'), path.join(root, 'scripts', 'build-web.ts')], { cwd: root, stdio: 'inherit' });
}

export function launchChromium(): Promise<Browser> {
  // Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
}

export type ProblemLog = {
  // Console errors, uncaught page errors, failed requests and HTTP errors since the last take().
  take(): string[];
};

// Records what went wrong on a page. A request the page itself abandons (navigating away while
// a query or the WebSocket is open) is not a problem; anything else is, until a test says why
// it provoked it.
export function watchProblems(page: Page): ProblemLog {
  let problems: string[] = [];
  page.on('console', (message) => void (message.type() === 'error' && problems.push(`console error: ${message.text()}`)));
  page.on('pageerror', (error) => void problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? '';
    if (reason !== 'net::ERR_ABORTED') problems.push(`request failed: ${request.method()} ${request.url()} ${reason}`);
  });
  page.on('response', (response) => void (response.status() >= 400 && problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`)));
  return {
    take() {
      const taken = problems;
      problems = [];
      return taken;
    },
  };
}

let screenshots = 0;
// test/artifacts/web-console/<nn>-<step>.png, numbered in the order the steps ran. A run starts
// with an empty directory, so what is there is one run's steps.
export async function screenshot(page: Page, step: string): Promise<void> {
  if (screenshots === 0) rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  screenshots += 1;
  await page.screenshot({ path: path.join(ARTIFACTS, `${String(screenshots).padStart(2, '0')}-${step}.png`), fullPage: true });
}

// Runs a test's steps on a page; when one fails, the page as it was then is saved too
// (<nn>-<step>-failed.png), which is what a CI run's artifacts are for.
export async function onPage(page: () => Page | undefined, step: string, steps: () => Promise<void>): Promise<void> {
  try {
    await steps();
  } catch (error) {
    const shown = page();
    if (shown && !shown.isClosed()) await screenshot(shown, `${step}-failed`).catch(() => undefined);
    throw error;
  }
}

// Signs in through the sign-in page's demo-user button, as a person would.
export async function signIn(page: Page, baseUrl: string, user: 'admin' | 'sales' | 'marketing' | 'viewer', options: { screenshot?: string } = {}): Promise<void> {
  await page.goto(baseUrl);
  if (options.screenshot) {
    await page.getByTestId(`sign-in-${user}`).waitFor();
    await screenshot(page, options.screenshot);
  }
  await page.getByTestId(`sign-in-${user}`).click();
  await page.getByTestId('signed-in-user').waitFor();
}

// Resolves once the page's next WebSocket has sent a graphql-ws subscribe for this operation:
// a change made before that would have nothing to reach. Call it before the page loads.
export async function subscriptionSent(page: Page, operation: string): Promise<void> {
  const socket = await page.waitForEvent('websocket');
  await socket.waitForEvent('framesent', ({ payload }) => String(payload).includes('"subscribe"') && String(payload).includes(operation));
}

// Waits until the element shows exactly this text (trimmed); Playwright re-checks as the page changes.
export async function waitForText(locator: Locator, text: string | RegExp): Promise<void> {
  const pattern = typeof text === 'string' ? new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) : text;
  await locator.filter({ hasText: pattern }).first().waitFor();
}

// An element that is, or contains, a Part in this state ("hidden", "unavailable").
export function partIn(scope: Page | Locator, testId: string, state: string): Locator {
  return scope.locator(`[data-testid="${testId}"][data-part-state="${state}"], [data-testid="${testId}"] [data-part-state="${state}"]`);
}
