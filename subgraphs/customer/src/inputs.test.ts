import { parseInput } from '../../../lib/inputs';
import { createCustomerInput, customerFilter, updateCustomerInput } from './inputs';

const fieldOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as { extensions: { code: string; field: string } }).extensions;
  }
  throw new Error('expected a validation error');
};

describe('customer inputs', () => {
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
    expect(fieldOf(() => parseInput(createCustomerInput, input, 'input'))).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('leaves fields out of an update unless given', () => {
    expect(parseInput(updateCustomerInput, { company: null }, 'input')).toEqual({ company: null });
  });

  it('filters by each status once, and refuses more than 100 of them', () => {
    expect(parseInput(customerFilter, { status: ['ACTIVE', 'LEAD', 'ACTIVE', 'ACTIVE'] }, 'filter')?.status).toEqual(['ACTIVE', 'LEAD']);
    expect(fieldOf(() => parseInput(customerFilter, { status: Array(101).fill('ACTIVE') }, 'filter'))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.status' });
  });
});
