import { useState } from 'react';
import { useEvents } from '../../apollo/events';
import { useDebounced } from '../../use-debounced';
import { graphql } from '../../generated';
import type { CustomerChangeKind } from '../../generated/graphql';

// The header's fields, written into the cache by each event, so the page changes in place.
const CustomerChanged = graphql(`
  subscription CustomerPageChanged($id: ID!) {
    customerChanged(ids: [$id]) {
      eventId
      kind
      customer {
        ...CustomerPageHeader
      }
    }
  }
`);

const OrderPlaced = graphql(`
  subscription CustomerPageOrderPlaced($id: ID!) {
    orderPlaced(customerId: $id) {
      eventId
      orderId
    }
  }
`);

const REFETCH_DELAY_MS = 300;

type Options = {
  // Whether to follow the customer's new orders (not for a role that may not read them: the
  // gateway refuses the subscription).
  followOrders: boolean;
  // Reads the page again; called once for a burst of orders.
  refetch(): void;
};

// Another user's changes to the customer: the header follows through the cache, new orders
// read the page's sales parts again, and a deletion or erasure is returned for a notice.
export function useCustomerLiveUpdates(id: string, { followOrders, refetch }: Options): { removedBy?: CustomerChangeKind } {
  const [removedBy, setRemovedBy] = useState<CustomerChangeKind>();
  const refetchSoon = useDebounced(refetch, REFETCH_DELAY_MS);

  useEvents(CustomerChanged, {
    variables: { id },
    onEvent: ({ customerChanged: { kind } }) => {
      if (kind === 'DELETED' || kind === 'ERASED') setRemovedBy(kind);
    },
  });
  useEvents(OrderPlaced, {
    variables: { id },
    skip: !followOrders,
    onEvent: refetchSoon,
  });
  return { removedBy };
}
