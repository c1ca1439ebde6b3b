import type { ReactNode } from 'react';
import { Part } from '../Part';
import type { CustomerPageQuery } from '../../generated/graphql';

// The customer as the page's query returns it.
export type PageCustomer = NonNullable<CustomerPageQuery['customer']>;

export type SectionProps = { customer: PageCustomer };

type Props<T> = {
  testId: string;
  title: ReactNode;
  customer: PageCustomer;
  // The customer's field the section shows.
  field: keyof PageCustomer & string;
  data: T | null | undefined;
  children: (data: T) => ReactNode;
};

// A card of the customer page: its data, or why the data is missing ("hidden",
// "unavailable"). Fields missing deeper inside data that came back (a contact's hidden email)
// are the rows' business, not the section's.
export function Section<T>({ testId, title, customer, field, data, children }: Props<T>) {
  return (
    <section className="card" data-testid={testId}>
      <h2>{title}</h2>
      {data == null ? (
        <Part of={customer} field={field} block>
          <p className="empty">Nothing to show.</p>
        </Part>
      ) : (
        children(data)
      )}
    </section>
  );
}
