import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestHandler } from 'express';

// How long the gateway will wait for a subgraph's answer, sent with each subgraph call. A
// subgraph that is still working when the gateway has given up must not write: the client
// has been told the write failed.
export const TIME_BUDGET_HEADER = 'x-crm-time-budget-ms';
// The same deadline as a point in time (epoch milliseconds): a request that waited in a busy
// subgraph's queue before it was read has less left than its budget says. It relies on the
// services' clocks agreeing to well under WRITE_MARGIN_MS (NTP): a subgraph whose clock runs
// ahead would find its writes too late. A value more than one budget in the past or beyond the
// budget is taken for a clock that is off, and only the budget counts.
export const DEADLINE_HEADER = 'x-crm-deadline';

// What a caller sends with a call it will wait budgetMs for.
export function deadlineHeaders(budgetMs: number): Record<string, string> {
  return { [TIME_BUDGET_HEADER]: String(budgetMs), [DEADLINE_HEADER]: String(Date.now() + budgetMs) };
}

// Time a write needs between its last check and its commit, and the network between gateway
// and subgraph: a write starts only with at least this much of the budget left.
export const WRITE_MARGIN_MS = 500;

const deadlines = new AsyncLocalStorage<number>();

// Runs the rest of the request with the caller's budget as its deadline. Placed after the body
// is parsed, so the request's own promises, not stream events, carry it to the resolvers.
export const followCallerDeadline: RequestHandler = (req, _res, next) => {
  const budget = Number(req.get(TIME_BUDGET_HEADER));
  if (!Number.isFinite(budget) || budget <= 0) return next();
  const now = Date.now();
  const stated = Number(req.get(DEADLINE_HEADER));
  const plausible = Number.isFinite(stated) && stated > now - budget && stated <= now + budget + 1_000;
  deadlines.run(plausible ? Math.min(now + budget, stated) : now + budget, next);
};

// Work that undoes what a request started (releasing a deletion's holds) must finish even after
// the caller has given up, or the holds would stay: it runs without the request's deadline.
export function regardlessOfDeadline<T>(work: () => T): T {
  return deadlines.exit(work);
}

// Milliseconds until the caller gives up; Infinity for a caller that set no deadline.
export function timeLeftMs(): number {
  const deadline = deadlines.getStore();
  return deadline === undefined ? Number.POSITIVE_INFINITY : deadline - Date.now();
}
