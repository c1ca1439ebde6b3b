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
