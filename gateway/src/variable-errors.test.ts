import { parse } from 'graphql';
import { fieldOfVariableError, variablePlaces } from './variable-errors';

describe('the field of a variable graphql-js refused', () => {
  it.each([
    ['Variable "$input" got invalid value null at "input.items[0].quantity"; Expected non-nullable type "Int!" not to be null.', 'input.items.0.quantity'],
    ['Variable "$input" got invalid value "x" at "input.status"; Value "x" does not exist in "LifecycleStatus" enum.', 'input.status'],
    ['Variable "$input" got invalid value { nme: "Ada" }; Field "nme" is not defined by type "CreateCustomerInput".', 'input'],
    ['Variable "$id" of required type "ID!" was not provided.', 'id'],
    ['Variable "$id" of non-null type "ID!" must not be null.', 'id'],
    // A value that spells a place of its own does not move the message elsewhere.
    ['Variable "$input" got invalid value { name: "a at \\"b\\"; " } at "input.name"; String cannot represent a non string value.', 'input.name'],
    ['Variable "$input" got invalid value { " at \\"other.x\\"; ": 1 }; Field is not defined.', 'input'],
  ])('%s → %s', (message, field) => {
    expect(fieldOfVariableError(message)).toBe(field);
  });

  it('leaves other errors alone', () => {
    expect(fieldOfVariableError('input.email: must be a valid email address')).toBeUndefined();
    expect(fieldOfVariableError('Cannot query field "nme" on type "Customer".')).toBeUndefined();
  });
});

describe('where a variable is used', () => {
  it('names the argument, and the input fields down to the variable', () => {
    const places = variablePlaces(parse('mutation($in: CreateOrderInput!, $items: [OrderItemInput!]!, $id: ID!, $skip: Boolean!) { a: createOrder(input: $in) { id } b: createOrder(input: { customerId: $id, items: $items }) { id @skip(if: $skip) } }'));
    expect(Object.fromEntries(places)).toEqual({ in: 'input', items: 'input.items', id: 'input.customerId' });
  });

  it('looks only at the operation run', () => {
    const document = parse('mutation A($in: CreateCustomerInput!) { createCustomer(input: $in) { id } } query B($in: CustomerFilter) { customers(filter: $in) { totalCount } }');
    expect(variablePlaces(document, 'A').get('in')).toBe('input');
    expect(variablePlaces(document, 'B').get('in')).toBe('filter');
  });

  it('gives no place to a variable used twice', () => {
    expect(variablePlaces(parse('query($id: ID!) { customer(id: $id) { id } order(id: $id) { id } }')).get('id')).toBeNull();
  });
});
