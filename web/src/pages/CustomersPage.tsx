import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useQuery } from '@apollo/client/react';
import { graphql } from '../generated';
import type { CustomerSortField, SortDirection } from '../generated/graphql';
import { graphQLErrorsOf } from '../apollo/errors';
import { STATUS_LABELS, STATUSES } from '../labels';
import { useEvents } from '../apollo/events';
import { useCatchUp } from '../apollo/catch-up';
import { useDebounced } from '../use-debounced';
import { Part } from '../components/Part';
import { Options } from '../components/FormField';
import { canWrite, useSession } from '../session';
import './CustomersPage.css';

const PAGE_SIZE = 20;
// The largest page the graph serves.
const MAX_PAGE_SIZE = 1000;
const SEARCH_DEBOUNCE_MS = 300;
const REFETCH_DEBOUNCE_MS = 300;

// What a row shows; the list's subscription selects it too, so an UPDATED event rewrites the
// row in the normalized cache.
graphql(`
  fragment CustomerRow on Customer {
    id
    name
    email
    company
    status
    kind
    ownerId
    updatedAt
  }
`);

const CustomersQuery = graphql(`
  query CustomersPage($first: Int!, $after: String, $filter: CustomerFilter, $orderBy: CustomerOrder) {
    customers(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      nodes {
        ...CustomerRow
      }
      pageInfo {
        hasNextPage
        endCursor
      }
      totalCount
    }
  }
`);

const CustomerChangedSubscription = graphql(`
  subscription CustomersPageChanges {
    customerChanged {
      eventId
      kind
      customerId
      customer {
        ...CustomerRow
      }
    }
  }
`);


type Sort = `${CustomerSortField}:${SortDirection}`;
const SORTS = [
  { value: 'CREATED_AT:DESC', label: 'Newest first' },
  { value: 'CREATED_AT:ASC', label: 'Oldest first' },
  { value: 'NAME:ASC', label: 'Name A–Z' },
  { value: 'NAME:DESC', label: 'Name Z–A' },
  { value: 'UPDATED_AT:DESC', label: 'Recently updated' },
] as const satisfies readonly { value: Sort; label: string }[];

const statusOf = (value: string | null) => STATUSES.find((status) => status === value);
const sortOf = (value: string | null) => SORTS.find((sort) => sort.value === value)?.value ?? SORTS[0].value;

// Search, status and sort live in the URL, so a reload or the back button shows the same list.
function useListParams() {
  const [params, setParams] = useSearchParams();
  const search = params.get('q') ?? '';
  const status = statusOf(params.get('status'));
  const sort = sortOf(params.get('sort'));
  // An empty value (and the default sort) is left out of the URL.
  const update = useCallback(
    (changes: Partial<Record<'q' | 'status' | 'sort', string>>, options?: { replace: boolean }) =>
      setParams((current) => {
        const next = new URLSearchParams(current);
        for (const [key, value] of Object.entries(changes)) {
          if (value && !(key === 'sort' && value === SORTS[0].value)) next.set(key, value);
          else next.delete(key);
        }
        return next;
      }, options),
    [setParams],
  );
  return { search, status, sort, update };
}

// A text box whose value reaches the URL once typing pauses, and follows the URL when it
// changes otherwise (back button).
function SearchBox({ value, onSearch }: { value: string; onSearch(value: string): void }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const timer = setTimeout(() => onSearch(text), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, value, onSearch]);
  return (
    <label>
      Search
      <input type="search" value={text} onChange={(event) => setText(event.target.value)} placeholder="Name, email or company" data-testid="customer-search" />
    </label>
  );
}

export function CustomersPage() {
  const { session } = useSession();
  const { search, status, sort, update } = useListParams();
  const applySearch = useCallback((q: string) => update({ q }, { replace: true }), [update]);
  const [field, direction] = sort.split(':') as [CustomerSortField, SortDirection];
  const variables = { first: PAGE_SIZE, filter: { search: search.trim() || undefined, status: status ? [status] : undefined }, orderBy: { field, direction } };
  const { data, error, loading, fetchMore, refetch } = useQuery(CustomersQuery, { variables });
  const connection = data?.customers;
  const errors = useMemo(() => graphQLErrorsOf(error), [error]);
  // Hidden fields are expected (each shows "hidden"); any other error is named above the list.
  const listNotices = errors.filter((each) => each.extensions?.code !== 'FORBIDDEN');

  const fetching = useRef(false);
  const loadMore = useCallback(async () => {
    if (fetching.current || !connection?.pageInfo.hasNextPage) return;
    fetching.current = true;
    try {
      // fetchMore would use errorPolicy 'none' (Apollo's default for it) and drop a page with a
      // hidden email.
      await fetchMore({ variables: { first: PAGE_SIZE, after: connection.pageInfo.endCursor }, errorPolicy: 'all' });
    } catch {
      // The gateway could not be reached: the list stays as it is, and Load more tries again.
    } finally {
      fetching.current = false;
    }
  }, [connection, fetchMore]);

  // An UPDATED event changes a row in place (the cache normalizes it). Any other kind may change
  // which customers the list holds, and the client cannot tell whether a new, restored or
  // deleted customer matches the filter or where it sorts, so the list is asked again from the
  // top (no `after`: the cache replaces it), as many rows as are shown so the reader keeps
  // their place, once for a burst of events.
  const shown = connection?.nodes.length ?? 0;
  const readShownAgain = useDebounced(() => void refetch({ first: Math.min(MAX_PAGE_SIZE, Math.max(PAGE_SIZE, shown)) }).catch(() => {}), REFETCH_DEBOUNCE_MS);
  useEvents(CustomerChangedSubscription, {
    onEvent: ({ customerChanged }) => {
      if (customerChanged.kind !== 'UPDATED') readShownAgain();
    },
  });
  // Events may have been missed (a dropped connection): every row shown may have changed.
  useCatchUp(readShownAgain);
  // A list shown from the cache (a return to the page, or to a filter seen before) missed the
  // events of the meantime, which reached no page: it is read again behind the cached rows, as
  // many as it shows.
  const fromCache = !loading && data !== undefined;
  useEffect(() => {
    if (fromCache) readShownAgain();
    // Once for each list (filter and order), not on every change of the rows.
  }, [search, status, sort]);

  return (
    <div className="customers-page">
      <div className="customers-heading">
        <h1>Customers</h1>
        {canWrite(session) && (
          <Link to="/customers/new" className="customers-new" data-testid="new-customer">
            New customer
          </Link>
        )}
      </div>
      <div className="customers-filters">
        <SearchBox value={search} onSearch={applySearch} />
        <label>
          Status
          <select value={status ?? ''} onChange={(event) => update({ status: event.target.value })} data-testid="status-filter">
            <option value="">All</option>
            <Options values={STATUSES} labels={STATUS_LABELS} />
          </select>
        </label>
        <label>
          Sort
          <select value={sort} onChange={(event) => update({ sort: event.target.value })} data-testid="sort-select">
            {SORTS.map((each) => (
              <option key={each.value} value={each.value}>
                {each.label}
              </option>
            ))}
          </select>
        </label>
        {connection && (
          <span className="customers-count" data-testid="customer-count">
            {connection.nodes.length} of {connection.totalCount}
          </span>
        )}
      </div>

      {!connection && loading && <p className="customers-loading">Loading customers…</p>}
      {!connection && error && (
        <p className="error" role="alert">
          The customers could not be loaded: {errors.map((each) => each.message).join('; ') || error.message}
        </p>
      )}
      {connection && listNotices.length > 0 && <p className="notice">Some of the list could not be loaded: {[...new Set(listNotices.map((each) => each.message))].join('; ')}</p>}

      {connection && (
        <table className="customers-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Company</th>
              <th>Email</th>
              <th>Status</th>
              <th>Kind</th>
              <th>Owner</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {connection.nodes.map((customer) => (
              <tr key={customer.id} data-testid="customer-row" data-customer-id={customer.id}>
                <td>
                  <Link to={`/customers/${customer.id}`} data-testid="customer-link">
                    {customer.name}
                  </Link>
                </td>
                <td>{customer.company}</td>
                <td data-testid="customer-email">
                  <Part of={customer} field="email">
                    {customer.email}
                  </Part>
                </td>
                <td data-testid="customer-status">{customer.status}</td>
                <td>{customer.kind}</td>
                <td>{customer.ownerId}</td>
                <td>{new Date(customer.updatedAt).toLocaleDateString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {connection && connection.nodes.length === 0 && <p className="customers-empty">No customers match.</p>}

      {connection && <ListEnd onVisible={loadMore} watch={connection.pageInfo.endCursor} />}
      {connection?.pageInfo.hasNextPage && (
        <button type="button" onClick={() => void loadMore()} disabled={loading} data-testid="load-more">
          {loading ? 'Loading…' : 'Load more'}
        </button>
      )}
    </div>
  );
}

// The sentinel below the last row: reaching it loads the next page. The observer is made again
// for each page (`watch`), so a page too short to push the sentinel out of view still loads the next.
function ListEnd({ onVisible, watch }: { onVisible(): void; watch: unknown }) {
  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) onVisible();
    });
    if (sentinel.current) observer.observe(sentinel.current);
    return () => observer.disconnect();
  }, [onVisible, watch]);
  return <div ref={sentinel} className="list-end" data-testid="list-end" />;
}
