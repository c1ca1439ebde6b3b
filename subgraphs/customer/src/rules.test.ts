import { canMoveStatus } from './rules';

describe('customer rules', () => {
  it('moves customers forward through the funnel and allows a win-back', () => {
    expect(canMoveStatus('LEAD', 'ACTIVE')).toBe(true);
    expect(canMoveStatus('CHURNED', 'ACTIVE')).toBe(true);
    expect(canMoveStatus('ACTIVE', 'LEAD')).toBe(false);
    expect(canMoveStatus('PROSPECT', 'LEAD')).toBe(false);
  });
});
