import { parseInput } from '../../../lib/inputs';
import { createOpportunityInput, createOrderInput, createProductInput } from './inputs';

const ID = '0b0e7c1e-4a3f-4c1e-9f1a-2b3c4d5e6f70';
const fieldOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as { extensions: { field: string } }).extensions.field;
  }
  throw new Error('expected a validation error');
};

describe('sales inputs', () => {
  it('rejects bad orders at the offending field', () => {
    expect(fieldOf(() => parseInput(createOrderInput, { customerId: 'x', items: [{ productId: ID, quantity: 1 }] }, 'input'))).toBe('input.customerId');
    expect(fieldOf(() => parseInput(createOrderInput, { customerId: ID, items: [] }, 'input'))).toBe('input.items');
    expect(fieldOf(() => parseInput(createOrderInput, { customerId: ID, items: [{ productId: ID, quantity: -2 }] }, 'input'))).toBe('input.items.0.quantity');
    expect(fieldOf(() => parseInput(createOrderInput, { customerId: ID, items: [{ productId: ID, quantity: 1 }], status: 'PAID' }, 'input'))).toBe('input.status');
  });

  it('rejects negative, malformed and unknown-currency money', () => {
    const product = (price: unknown) => () => parseInput(createProductInput, { sku: 'A-1', name: 'A', price }, 'input');
    expect(fieldOf(product({ amount: '-1.00', currency: 'USD' }))).toBe('input.price.amount');
    expect(fieldOf(product({ amount: '1e3', currency: 'USD' }))).toBe('input.price.amount');
    expect(fieldOf(product({ amount: '1.00', currency: 'usd' }))).toBe('input.price.currency');
    expect(fieldOf(product({ amount: '1.00', currency: 'XYZ' }))).toBe('input.price.currency');
  });

  it('checks probabilities and calendar dates of deals', () => {
    const deal = (extra: object) => () =>
      parseInput(createOpportunityInput, { customerId: ID, name: 'Deal', amount: { amount: '10', currency: 'USD' }, probability: 50, expectedCloseDate: '2026-12-31', ...extra }, 'input');
    expect(deal({})().expectedCloseDate.toISOString()).toBe('2026-12-31T00:00:00.000Z');
    expect(fieldOf(deal({ probability: 101 }))).toBe('input.probability');
    expect(fieldOf(deal({ expectedCloseDate: '2026-02-30' }))).toBe('input.expectedCloseDate');
  });
});
