import { toMoney } from '../../../lib/money';
import { canMoveOrder, conversions, customerReferences, customerRefusal, returnOnInvestment, revenueByCurrency, weightedAmount } from './rules';

const order = (status: 'DRAFT' | 'PLACED' | 'PAID' | 'FULFILLED' | 'CANCELLED', totalMinor: bigint, currency = 'USD') => ({ status, totalMinor, currency });

describe('sales rules', () => {
  it('follows the order flow', () => {
    expect(canMoveOrder('DRAFT', 'PLACED')).toBe(true);
    expect(canMoveOrder('PAID', 'FULFILLED')).toBe(true);
    expect(canMoveOrder('FULFILLED', 'CANCELLED')).toBe(false);
    expect(canMoveOrder('DRAFT', 'PAID')).toBe(false);
  });

  it('sums revenue per currency over placed, paid and fulfilled orders only', () => {
    const orders = [order('PAID', 1000n), order('FULFILLED', 250n), order('DRAFT', 9999n), order('CANCELLED', 9999n), order('PLACED', 5n, 'EUR')];
    expect(revenueByCurrency(orders)).toEqual([toMoney(5n, 'EUR'), toMoney(1250n, 'USD')]);
  });

  it('counts paid and fulfilled orders as conversions', () => {
    expect(conversions([order('PAID', 1n), order('FULFILLED', 1n), order('PLACED', 1n), order('CANCELLED', 1n)])).toBe(2);
  });

  it('computes ROI exactly in the budget currency', () => {
    expect(returnOnInvestment([toMoney(30000n, 'USD')], toMoney(10000n, 'USD'))).toBe('2.0000');
    expect(returnOnInvestment([toMoney(5000n, 'EUR')], toMoney(10000n, 'USD'))).toBe('-1.0000');
    expect(returnOnInvestment([toMoney(3333n, 'USD')], toMoney(10000n, 'USD'))).toBe('-0.6667');
    expect(returnOnInvestment([], toMoney(0n, 'USD'))).toBeNull();
  });

  it('weights a deal by its probability, rounding down to the minor unit', () => {
    expect(weightedAmount(999n, 50, 'USD')).toEqual(toMoney(499n, 'USD'));
  });

  it('refuses a customer that is gone, erased, being deleted or archived, in that order', () => {
    const standing = { archived: false, deleted: false, erased: false, deletionHoldId: null };
    expect(customerRefusal(standing)).toBeNull();
    expect(customerRefusal(undefined)).toBe('does not exist');
    expect(customerRefusal({ ...standing, deleted: true, archived: true })).toBe('does not exist');
    expect(customerRefusal({ ...standing, erased: true, deletionHoldId: 'h' })).toBe('has been erased');
    expect(customerRefusal({ ...standing, deletionHoldId: 'h', archived: true })).toBe('is being deleted');
    expect(customerRefusal({ ...standing, archived: true })).toBe('is archived');
  });

  it('lists what keeps a customer from being deleted', () => {
    expect(customerReferences(0, 0)).toEqual([]);
    expect(customerReferences(1, 0)).toEqual(['1 order']);
    expect(customerReferences(3, 2)).toEqual(['3 orders', '2 opportunities']);
    expect(customerReferences(0, 1)).toEqual(['1 opportunity']);
  });
});
