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
  // The subgraph that resolves the section's data.
  service?: 'sales' | 'marketing';
  children: (data: T) => ReactNode;
};

// The gateway reports a subgraph that did not answer an entity fetch without a path, naming
// only the service (extensions.service): such an error is taken as the section's when its
// service owns the section and the data is missing.
function withServiceErrorsAt(errors: readonly GraphQLFormattedError[], path: readonly PathSegment[], service: string | undefined) {
  if (!service) return errors;
  return errors.map((error) => (!error.path && error.extensions?.service === service ? { ...error, path: [...path] } : error));
}

// A card of the customer page: its data, or why the data is missing ("hidden",
// "unavailable"). Errors deeper inside data that came back (a contact's hidden email) are
// the rows' business, not the section's.
export function Section<T>({ testId, title, errors, path, data, service, children }: Props<T>) {
  return (
    <section className="card" data-testid={testId}>
      <h2>{title}</h2>
      {data == null ? (
        <Part errors={withServiceErrorsAt(errors, path, service)} path={path} block>
          <p className="empty">Nothing to show.</p>
        </Part>
      ) : (
        children(data)
      )}
    </section>
  );
}
