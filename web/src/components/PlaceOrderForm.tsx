import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from '@apollo/client/react';
import { graphql } from '../generated';
import type { OrderStatus } from '../generated/graphql';
import { FormErrors, FormField, noErrors, Options, placeErrors, type PlacedErrors } from './FormField';
import './forms.css';

const PlaceOrderProducts = graphql(`
  query PlaceOrderProducts {
    products(first: 50, filter: { active: true }) {
      nodes {
        id
        name
        price {
          amount
          currency
        }
      }
    }
  }
`);

// The customer page reads the new order with the rest of its orders (see update below).
const CreateOrder = graphql(`
  mutation CreateOrder($input: CreateOrderInput!) {
    createOrder(input: $input) {
      id
      status
    }
  }
`);

// The two states an order can be created in (createOrder refuses the others).
const creatableStatusLabels = { PLACED: 'Placed', DRAFT: 'Draft' } satisfies Partial<Record<OrderStatus, string>>;
type CreatableStatus = keyof typeof creatableStatusLabels;
const creatableStatuses = Object.keys(creatableStatusLabels) as CreatableStatus[];
const inputNames = ['items.0.productId', 'items.0.quantity', 'status'];

export function PlaceOrderForm({ customerId, onDone }: { customerId: string; onDone?: () => void }) {
  const products = useQuery(PlaceOrderProducts);
  const [productId, setProductId] = useState('');
  const [quantity, setQuantity] = useState('1');
  const [status, setStatus] = useState<CreatableStatus>('PLACED');
  const [errors, setErrors] = useState<PlacedErrors>(noErrors);
  const [created, setCreated] = useState<CreatableStatus>();
  const [createOrder, { loading }] = useMutation(CreateOrder, {
    // The order changes the customer's order list and what they have spent, which the cache
    // cannot work out: dropping both makes the customer page read them again.
    update(cache, { data }) {
      if (!data?.createOrder) return;
      const id = cache.identify({ __typename: 'Customer', id: customerId });
      cache.evict({ id, fieldName: 'orders' });
      cache.evict({ id, fieldName: 'lifetimeValue' });
      cache.gc();
    },
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setCreated(undefined);
    // Anything but a whole number cannot be sent as an Int; GraphQL's own message for it
    // ("Int cannot represent non-integer value") is not one to show a user.
    const count = Number(quantity);
    if (quantity.trim() === '' || !Number.isInteger(count)) {
      setErrors({ byField: { 'items.0.quantity': 'must be a whole number' }, general: [] });
      return;
    }
    const items = [{ productId, quantity: count }];
    const { data, error } = await createOrder({ variables: { input: { customerId, items, status } } });
    setErrors(data?.createOrder ? noErrors : placeErrors(error ?? new Error('The order was not created'), inputNames));
    if (!data?.createOrder) return;
    setCreated(status);
    setQuantity('1');
    onDone?.();
  }

  const productOptions = products.data?.products.nodes ?? [];
  return (
    <form className="inline-form" data-testid="place-order-form" onSubmit={submit} noValidate>
      <div className="form-row">
        <FormField label="Product" name="items.0.productId" error={errors.byField['items.0.productId']}>
          <select name="items.0.productId" value={productId} onChange={(event) => setProductId(event.target.value)}>
            <option value="">{products.loading ? 'Loading products…' : 'Choose a product'}</option>
            {productOptions.map((product) => (
              <option key={product.id} value={product.id}>
                {product.name} — {product.price.amount} {product.price.currency}
              </option>
            ))}
          </select>
        </FormField>
        <FormField label="Quantity" name="items.0.quantity" error={errors.byField['items.0.quantity']}>
          <input name="items.0.quantity" type="number" min={1} value={quantity} onChange={(event) => setQuantity(event.target.value)} />
        </FormField>
        <FormField label="Status" name="status" error={errors.byField.status}>
          <select name="status" value={status} onChange={(event) => setStatus(event.target.value as CreatableStatus)}>
            <Options values={creatableStatuses} labels={creatableStatusLabels} />
          </select>
        </FormField>
      </div>
      {products.error && !products.data && <p className="error">The products could not be loaded: {products.error.message}</p>}
      <FormErrors messages={errors.general} />
      <div className="form-actions">
        <button type="submit" data-testid="place-order" disabled={loading}>
          Place order
        </button>
        {created && (
          <span className="notice" role="status">
            {created === 'PLACED' ? 'Order placed' : 'Draft order saved'}
          </span>
        )}
      </div>
    </form>
  );
}
