import { canMoveStatus, erasureProgress, nextStatuses } from './rules';
import { LifecycleStatus } from './generated/graphql';

describe('customer rules', () => {
  it('moves customers forward through the funnel and allows a win-back', () => {
    expect(canMoveStatus('LEAD', 'ACTIVE')).toBe(true);
    expect(canMoveStatus('CHURNED', 'ACTIVE')).toBe(true);
    expect(canMoveStatus('ACTIVE', 'LEAD')).toBe(false);
    expect(canMoveStatus('PROSPECT', 'LEAD')).toBe(false);
  });

  it('lists as next statuses exactly the moves it allows', () => {
    const statuses = Object.values(LifecycleStatus);
    for (const from of statuses) {
      expect(nextStatuses(from)).toEqual(statuses.filter((to) => to !== from && canMoveStatus(from, to)));
    }
  });
});

describe('erasure progress', () => {
  const requestedAt = new Date('2026-12-01T10:00:00.000Z');
  const services = ['customer', 'sales', 'marketing'];

  it('is pending until every other service has reported, with this service erased at the request', () => {
    const salesDone = new Date('2026-12-01T10:00:02.000Z');
    expect(erasureProgress(requestedAt, [{ service: 'sales', erasedAt: salesDone }], services, 'customer')).toEqual({
      status: 'PENDING',
      requestedAt,
      completedAt: null,
      services: [
        { name: 'customer', erasedAt: requestedAt },
        { name: 'sales', erasedAt: salesDone },
        { name: 'marketing', erasedAt: null },
      ],
    });
  });

  it('completes when the last service reports, at that service’s time', () => {
    const marketingDone = new Date('2026-12-01T10:05:00.000Z');
    const progress = erasureProgress(
      requestedAt,
      [
        { service: 'marketing', erasedAt: marketingDone },
        { service: 'sales', erasedAt: new Date('2026-12-01T10:00:02.000Z') },
        { service: 'retired-service', erasedAt: new Date('2026-12-01T11:00:00.000Z') },
      ],
      services,
      'customer',
    );
    expect(progress).toMatchObject({ status: 'COMPLETED', completedAt: marketingDone });
    expect(progress.services.map((entry) => entry.name)).toEqual(services);
  });
});
