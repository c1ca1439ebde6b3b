import cors from 'cors';
import type { RequestHandler } from 'express';

// Browsers on other origins may call the gateway when their origin is listed in CORS_ORIGINS
// (exact origins such as https://crm.example.com, read by lib/config.ts). Development also allows
// any localhost origin, so a web app served by a dev server on another port works at once.
// Credentials travel in the Authorization header, never in cookies, so none are allowed.
// Simple cross-origin requests (which skip the preflight) are still refused by Apollo's CSRF
// prevention.
const LOCALHOST_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

export function gatewayCors(origins: readonly string[], allowLocalhost: boolean): RequestHandler {
  const allowed = new Set(origins);
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && (allowed.has(origin) || (allowLocalhost && LOCALHOST_ORIGIN.test(origin)))),
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'accept', 'apollo-require-preflight', 'x-apollo-operation-name', 'apollographql-client-name', 'apollographql-client-version', 'last-event-id'],
    maxAge: 600,
  });
}
