import type { ReactNode } from 'react';
import type { GraphQLFormattedError } from 'graphql';
import { Part } from '../Part';
import type { PathSegment } from '../../apollo/errors';
import type { CustomerPageQuery } from '../../generated/graphql';

// The customer as the page's query returns it.
export type PageCustomer = NonNullable<CustomerPageQuery['customer']>;

export type SectionProps = { customer: PageCustomer; errors: readonly GraphQLFormattedError[] };

type Props<T> = {
  testId: string;
  title: ReactNode;
  errors: readonly GraphQLFormattedError[];
  path: readonly PathSegment[];
  data: T | null | undefined;
  children: (data: T) => ReactNode;
};

// A card of the customer page: its data, or why the data is missing ("hidden",
// "unavailable"). Errors deeper inside data that came back (a contact's hidden email) are
// the rows' business, not the section's.
export function Section<T>({ testId, title, errors, path, data, children }: Props<T>) {
  return (
    <section className="card" data-testid={testId}>
      <h2>{title}</h2>
      {data == null ? (
        <Part errors={errors} path={path} block>
          <p className="empty">Nothing to show.</p>
        </Part>
      ) : (
        children(data)
      )}
    </section>
  );
}
