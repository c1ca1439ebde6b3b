import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestHandler } from 'express';

// How long the gateway will wait for a subgraph's answer, sent with each subgraph call. A
// subgraph that is still working when the gateway has given up must not write: the client
// has been told the write failed.
export const TIME_BUDGET_HEADER = 'x-crm-time-budget-ms';

// Time a write needs between its last check and its commit, and the network between gateway
// and subgraph: a write starts only with at least this much of the budget left.
export const WRITE_MARGIN_MS = 500;

const deadlines = new AsyncLocalStorage<number>();

// Runs the rest of the request with the caller's budget as its deadline. Placed after the body
// is parsed, so the request's own promises, not stream events, carry it to the resolvers.
export const followCallerDeadline: RequestHandler = (req, _res, next) => {
  const budget = Number(req.get(TIME_BUDGET_HEADER));
  if (!Number.isFinite(budget) || budget <= 0) return next();
  deadlines.run(Date.now() + budget, next);
};

// Milliseconds until the caller gives up; Infinity for a caller that set no deadline.
export function timeLeftMs(): number {
  const deadline = deadlines.getStore();
  return deadline === undefined ? Number.POSITIVE_INFINITY : deadline - Date.now();
}
