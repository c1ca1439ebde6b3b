import { parseInput } from '../../../lib/validation';
import { canMoveStatus, createCustomerInput, customerFilter, updateCustomerInput } from './validation';

const fieldOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as { extensions: { code: string; field: string } }).extensions;
  }
  throw new Error('expected a validation error');
};

describe('customer validation', () => {
  it('normalises a valid customer', () => {
    expect(parseInput(createCustomerInput, { name: '  Ada ', email: 'ADA@Example.com', tags: ['vip', 'vip'] }, 'input')).toEqual({
      kind: 'PERSON',
      name: 'Ada',
      email: 'ada@example.com',
      status: 'LEAD',
      tags: ['vip'],
    });
  });

  it.each([
    [{ name: '' }, 'input.name'],
    [{ name: 'x'.repeat(201) }, 'input.name'],
    [{ name: 'Ada', email: 'not-an-email' }, 'input.email'],
    [{ name: 'Ada', phone: 'call me' }, 'input.phone'],
    [{ name: 'Ada', tags: [''] }, 'input.tags.0'],
    [{ name: 'Ada', status: 'VIP' }, 'input.status'],
  ])('rejects %j at %s', (input, field) => {
    expect(fieldOf(() => parseInput(createCustomerInput, input, 'input'))).toEqual({ code: 'BAD_USER_INPUT', field });
  });

  it('leaves fields out of an update unless given', () => {
    expect(parseInput(updateCustomerInput, { company: null }, 'input')).toEqual({ company: null });
  });

  it('moves customers forward through the funnel and allows a win-back', () => {
    expect(canMoveStatus('LEAD', 'ACTIVE')).toBe(true);
    expect(canMoveStatus('CHURNED', 'ACTIVE')).toBe(true);
    expect(canMoveStatus('ACTIVE', 'LEAD')).toBe(false);
    expect(canMoveStatus('PROSPECT', 'LEAD')).toBe(false);
  });

  it('filters by each status once, and refuses more than 100 of them', () => {
    expect(parseInput(customerFilter, { status: ['ACTIVE', 'LEAD', 'ACTIVE', 'ACTIVE'] }, 'filter')?.status).toEqual(['ACTIVE', 'LEAD']);
    expect(fieldOf(() => parseInput(customerFilter, { status: Array(101).fill('ACTIVE') }, 'filter'))).toEqual({ code: 'BAD_USER_INPUT', field: 'filter.status' });
  });
});
