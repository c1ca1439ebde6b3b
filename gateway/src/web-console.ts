import { existsSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import { z } from 'zod';
import { DEMO_USERS, type DemoUser } from './authentication';

// The gateway's own paths, which the console's page fallback leaves alone.
// Case-insensitive, as Express routes are.
const SERVICE_PATHS = /^\/(graphql|health|ready|metrics|dev)(\/|$)/i;

// The console's page, scripts and styles come from this origin only; it talks to /graphql here
// (HTTP and WebSocket) and is never framed.
const CONTENT_SECURITY_POLICY = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

const demoTokenRequest = z.object({ user: z.enum(Object.keys(DEMO_USERS) as [DemoUser, ...DemoUser[]]) });

export type WebConsoleOptions = {
  // Built files (npm run build:web), or undefined when the console is not served.
  dir: string | undefined;
  // Mints a token for a demo user; undefined where the gateway must not (production, or a
  // real secret or identity provider), and the console then asks for a token instead.
  demoToken?: (user: DemoUser) => Promise<string>;
};

// The web console (web/) at /: its built files, index.html for the console's own routes
// (/customers/42 on a reload), and in development the demo users' sign-in.
export function webConsoleRoutes({ dir, demoToken }: WebConsoleOptions): express.Router {
  const router = express.Router();
  if (demoToken) {
    router.get('/dev/demo-users', (_req, res) => {
      res.json({ users: Object.entries(DEMO_USERS).map(([id, user]) => ({ id, name: user.name, roles: user.roles })) });
    });
    // Any JSON value is read, so a body that is not an object is refused by the check below.
    router.post('/dev/demo-token', express.json({ limit: '1kb', strict: false }), (req, res, next) => {
      const parsed = demoTokenRequest.safeParse(req.body);
      if (!parsed.success) {
        return void res.status(400).json({ errors: [{ message: `user must be one of ${Object.keys(DEMO_USERS).join(', ')}`, extensions: { code: 'BAD_USER_INPUT', field: 'user' } }] });
      }
      demoToken(parsed.data.user).then((token) => res.json({ token }), next);
    });
    router.use('/dev', ((error, _req, res, next) => {
      if ((error as { type?: string }).type !== 'entity.parse.failed') return next(error);
      res.status(400).json({ errors: [{ message: 'The body must be JSON such as {"user":"viewer"}', extensions: { code: 'BAD_REQUEST' } }] });
    }) as express.ErrorRequestHandler);
  }
  if (!dir) return router;
  // A relative WEB_CONSOLE_DIR is taken from the working directory.
  const root = path.resolve(dir);
  const index = path.join(root, 'index.html');
  router.use((req, res, next) => {
    if (!SERVICE_PATHS.test(req.path)) {
      res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
      res.setHeader('x-content-type-options', 'nosniff');
    }
    next();
  });
  // File names under assets/ carry a hash of their content, so they never change. A file that
  // is not there is a plain 404 (the static server's own error names the path on disk).
  router.use('/assets', express.static(path.join(root, 'assets'), { immutable: true, maxAge: '1y', index: false }), (_req, res) => void res.status(404).type('text/plain').send('Not found'));
  router.use(express.static(root, { index: false }));
  // Not a GET route: Express would answer every other method of any path itself (OPTIONS
  // /graphql with "Allow: GET, HEAD"), before the gateway's CORS preflights.
  router.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    // A missing file (/favicon.ico) is a 404, not the page.
    if (SERVICE_PATHS.test(req.path) || path.extname(req.path) || !req.accepts('html')) return next();
    if (!existsSync(index)) {
      return void res.status(404).type('text/plain').send('The web console is not built: run `npm run build:web`, or `npm start`, which builds it.');
    }
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
