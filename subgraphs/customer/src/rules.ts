import type { LifecycleStatus } from './generated/prisma/client';

// A customer moves forward through the funnel; a churned customer can be won back.
const allowedTransitions: Record<LifecycleStatus, LifecycleStatus[]> = {
  LEAD: ['PROSPECT', 'ACTIVE', 'CHURNED'],
  PROSPECT: ['ACTIVE', 'CHURNED'],
  ACTIVE: ['CHURNED'],
  CHURNED: ['ACTIVE'],
};

export function canMoveStatus(from: LifecycleStatus, to: LifecycleStatus): boolean {
  return from === to || allowedTransitions[from].includes(to);
}

export function nextStatuses(from: LifecycleStatus): LifecycleStatus[] {
  return allowedTransitions[from];
}

export type ServiceErasureReport = { service: string; erasedAt: Date };

// An erasure is complete when every service of the platform has erased what it held; the
// service that owns the customer erases in the request's own transaction. Reports from services
// no longer in the platform do not count.
export function erasureProgress(requestedAt: Date, reports: readonly ServiceErasureReport[], services: readonly string[], self: string) {
  const reported = new Map(reports.map((report) => [report.service, report.erasedAt]));
  const entries = services.map((name) => ({ name, erasedAt: name === self ? requestedAt : (reported.get(name) ?? null) }));
  const done = entries.every((entry) => entry.erasedAt !== null);
  return {
    status: done ? ('COMPLETED' as const) : ('PENDING' as const),
    requestedAt,
    completedAt: done ? new Date(Math.max(...entries.map((entry) => entry.erasedAt!.getTime()))) : null,
    services: entries,
  };
}
