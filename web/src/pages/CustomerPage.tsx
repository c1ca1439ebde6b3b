import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery } from '@apollo/client/react';
import { graphql } from '../generated';
import { graphQLErrorsOf, partState, unavailableService } from '../apollo/errors';
import { useMissingParts } from '../apollo/missing-parts';
import { useCatchUp } from '../apollo/catch-up';
import { MissingNotice, Part } from '../components/Part';
import { canWrite, useSession } from '../session';
import { LogInteractionForm } from '../components/LogInteractionForm';
import { PlaceOrderForm } from '../components/PlaceOrderForm';
import { ContactsSection } from '../components/customer/ContactsSection';
import { InteractionsTimeline } from '../components/customer/InteractionsTimeline';
import { DealsSection, LifetimeValueSection, OrdersSection } from '../components/customer/SalesSections';
import { CampaignsSection, RfmSection, SegmentsSection } from '../components/customer/MarketingSections';
import { useCustomerLiveUpdates } from '../components/customer/useCustomerLiveUpdates';
import { CustomerActions } from '../components/customer/CustomerActions';
import { formatDateTime } from '../components/customer/format';
import './CustomerPage.css';

// What the edit form edits, and when the customer was made and archived.
graphql(`
  fragment CustomerPageHeader on Customer {
    ...CustomerFormFields
    archived
    createdAt
  }
`);

graphql(`
  fragment CustomerPageInteractions on InteractionConnection {
    nodes {
      id
      type
      subject
      body
      occurredAt
    }
    pageInfo {
      hasNextPage
      endCursor
    }
    totalCount
  }
`);

// The whole page in one federated query: the customer service's header, contacts and
// timeline, sales' orders, deals and lifetime value, marketing's segments, campaigns and RFM.
const CustomerQuery = graphql(`
  query CustomerPage($id: ID!) {
    customer(id: $id) {
      ...CustomerPageHeader
      contacts(first: 20) {
        nodes {
          id
          name
          email
          phone
          title
        }
        totalCount
      }
      interactions(first: 20) {
        ...CustomerPageInteractions
      }
      orders(first: 20) {
        nodes {
          id
          status
          placedAt
          createdAt
          total {
            amount
            currency
          }
          items {
            id
            quantity
            product {
              id
              name
              sku
            }
            unitPrice {
              amount
              currency
            }
            lineTotal {
              amount
              currency
            }
          }
        }
        totalCount
      }
      opportunities(first: 20) {
        nodes {
          id
          name
          stage
          amount {
            amount
            currency
          }
          probability
          expectedCloseDate
        }
        totalCount
      }
      lifetimeValue {
        amount
        currency
      }
      segments {
        id
        name
      }
      campaigns {
        id
        name
        status
      }
      rfm {
        currency
        recencyDays
        lastOrderAt
        frequency
        monetary {
          amount
          currency
        }
        recencyScore
        frequencyScore
        monetaryScore
        score
      }
    }
  }
`);

// The next page of the timeline; the cache's field policy appends it to the page's.
const MoreInteractionsQuery = graphql(`
  query CustomerPageMoreInteractions($id: ID!, $after: String) {
    customer(id: $id) {
      id
      interactions(first: 20, after: $after) {
        ...CustomerPageInteractions
      }
    }
  }
`);

export function CustomerPage() {
  const { id = '' } = useParams();
  // Another customer is another page: nothing (errors kept, notices) carries over.
  return <CustomerView key={id} id={id} />;
}

function CustomerView({ id }: { id: string }) {
  const { session } = useSession();
  // The cached page shows at once on a return to it, and the server's is read behind it:
  // events that came while the page was closed reached no one. (The timeline then shows its
  // first page again.)
  const { data, error, loading, refetch, fetchMore } = useQuery(CustomerQuery, { variables: { id }, fetchPolicy: 'cache-and-network', nextFetchPolicy: 'cache-first' });
  const [loadingMore, setLoadingMore] = useState(false);
  const errors = graphQLErrorsOf(error);
  const missingParts = useMissingParts();
  const refetchPage = () => void refetch().catch(() => {});
  // Events may have been missed (a dropped connection).
  useCatchUp(refetchPage);
  const { removedBy } = useCustomerLiveUpdates(id, { followOrders: !!data?.customer && missingParts.of(data.customer, 'orders')?.state !== 'hidden', refetch: refetchPage });

  if (!data) {
    if (loading) return <p>Loading…</p>;
    return <p className="error">The customer could not be loaded: {error?.message}</p>;
  }
  const customer = data.customer;
  const customerState = partState(errors, ['customer']);
  if (!customer) {
    // A malformed id is as missing as an unknown one; a service that did not answer is not.
    const missing = !customerState || errors.some((e) => e.extensions?.code === 'BAD_USER_INPUT');
    return (
      <div className="customer-page">
        {missing ? (
          <p className="notice" data-testid="customer-not-found">
            There is no such customer.
          </p>
        ) : (
          <MissingNotice missing={{ state: customerState, service: unavailableService(errors, ['customer']), message: errors[0]?.message ?? '' }} block />
        )}
        <p>
          <Link to="/">Back to the customers</Link>
        </p>
      </div>
    );
  }

  const showMoreInteractions = async () => {
    setLoadingMore(true);
    try {
      await fetchMore({ query: MoreInteractionsQuery, variables: { id, after: customer.interactions.pageInfo.endCursor } });
    } finally {
      setLoadingMore(false);
    }
  };
  // A deleted or erased customer takes no more changes.
  const writable = canWrite(session) && !removedBy;
  return (
    <div className="customer-page">
      <p>
        <Link to="/">← Customers</Link>
      </p>
      {removedBy && (
        <p className="notice" data-testid="customer-removed">
          Another user {removedBy === 'DELETED' ? 'deleted this customer' : "erased this customer's personal data"}.
        </p>
      )}
      <header className="customer-header card">
        <div className="customer-title">
          <h1 data-testid="customer-name">{customer.name}</h1>
          <span className="badge" data-testid="customer-status">{customer.status}</span>
          {customer.archived && <span className="badge archived">archived</span>}
          {writable && (
            <Link to={`/customers/${customer.id}/edit`} className="button-link" data-testid="edit-customer">
              Edit
            </Link>
          )}
        </div>
        <dl className="customer-fields">
          <dt>Email</dt>
          <dd data-testid="customer-email">
            <Part of={customer} field="email">{customer.email ?? '—'}</Part>
          </dd>
          <dt>Phone</dt>
          <dd data-testid="customer-phone">
            <Part of={customer} field="phone">{customer.phone ?? '—'}</Part>
          </dd>
          <dt>Company</dt>
          <dd data-testid="customer-company">{customer.company ?? '—'}</dd>
          <dt>Kind</dt>
          <dd>{customer.kind.toLowerCase()}</dd>
          <dt>Tags</dt>
          <dd>{customer.tags.length ? customer.tags.join(', ') : '—'}</dd>
          <dt>Owner</dt>
          <dd>{customer.ownerId ?? '—'}</dd>
          <dt>Created</dt>
          <dd>{formatDateTime(customer.createdAt)}</dd>
          <dt>Updated</dt>
          <dd>{formatDateTime(customer.updatedAt)}</dd>
        </dl>
        {writable && <CustomerActions customer={customer} session={session} />}
      </header>
      <div className="customer-columns">
        <div>
          <InteractionsTimeline customer={customer} onShowMore={showMoreInteractions} loadingMore={loadingMore} />
          <OrdersSection customer={customer} />
          <DealsSection customer={customer} />
        </div>
        <div>
          {writable && (
            <section className="card">
              <h2>Log an interaction</h2>
              <LogInteractionForm customerId={customer.id} onDone={refetchPage} />
            </section>
          )}
          {writable && !customer.archived && (
            <section className="card">
              <h2>Place an order</h2>
              <PlaceOrderForm customerId={customer.id} onDone={refetchPage} />
            </section>
          )}
          <LifetimeValueSection customer={customer} />
          <ContactsSection customer={customer} />
          <SegmentsSection customer={customer} />
          <CampaignsSection customer={customer} />
          <RfmSection customer={customer} />
        </div>
      </div>
    </div>
  );
}
