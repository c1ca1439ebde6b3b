import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useMutation } from '@apollo/client/react';
import type { ApolloCache } from '@apollo/client';
import { graphql } from '../../generated';
import { FormErrors, withoutFieldPath } from '../FormField';
import { fieldErrors } from '../../apollo/errors';
import type { Session } from '../../session';

graphql(`
  fragment CustomerArchiveState on Customer {
    id
    archived
    archivedAt
    updatedAt
  }
`);

const ArchiveCustomer = graphql(`
  mutation ArchiveCustomer($id: ID!) {
    archiveCustomer(id: $id) {
      ...CustomerArchiveState
    }
  }
`);

const RestoreCustomer = graphql(`
  mutation RestoreCustomer($id: ID!) {
    restoreCustomer(id: $id) {
      ...CustomerArchiveState
    }
  }
`);

const DeleteCustomer = graphql(`
  mutation DeleteCustomer($id: ID!) {
    deleteCustomer(id: $id)
  }
`);

// Archiving, restoring and deleting change which customers a list holds, and only the server
// knows each list's filter: every cached list is read again when next shown.
function dropCustomerLists(cache: ApolloCache) {
  cache.evict({ fieldName: 'customers' });
  cache.gc();
}

type Props = { customer: { id: string; archived: boolean }; session: Session };

// Archive or restore (ADMIN, SALES) and delete (ADMIN), asked to be confirmed; a refusal (a
// customer with orders cannot be deleted: archive it instead) is shown as the server says it.
export function CustomerActions({ customer, session }: Props) {
  const navigate = useNavigate();
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const [archive, archiving] = useMutation(ArchiveCustomer, { update: dropCustomerLists });
  const [restore, restoring] = useMutation(RestoreCustomer, { update: dropCustomerLists });
  const [remove, removing] = useMutation(DeleteCustomer, {
    // deleteCustomer answers the id it deleted; the customer's entry goes from the cache (a
    // list still pointing at it skips it) and the lists are read again.
    update(cache, { data }) {
      if (!data?.deleteCustomer) return;
      cache.evict({ id: cache.identify({ __typename: 'Customer', id: data.deleteCustomer }) });
      dropCustomerLists(cache);
    },
  });
  const busy = archiving.loading || restoring.loading || removing.loading;
  const run = async <T,>(mutation: (options: { variables: { id: string } }) => Promise<{ data?: T | null; error?: unknown }>) => {
    const { data, error } = await mutation({ variables: { id: customer.id } });
    const { byField, general } = fieldErrors(error);
    setErrors([...general, ...Object.entries(byField).map(([field, message]) => withoutFieldPath(message, field))]);
    setConfirmingDelete(false);
    return data;
  };
  return (
    <div className="customer-actions">
      {customer.archived ? (
        <button type="button" onClick={() => void run(restore)} disabled={busy} data-testid="restore-customer">
          Restore
        </button>
      ) : (
        <button type="button" onClick={() => void run(archive)} disabled={busy} data-testid="archive-customer">
          Archive
        </button>
      )}
      {session.roles.includes('ADMIN') &&
        (confirmingDelete ? (
          <button type="button" className="danger" onClick={() => void run(remove).then((data) => data?.deleteCustomer && navigate('/'))} disabled={busy} data-testid="confirm-delete-customer">
            Delete for good
          </button>
        ) : (
          <button type="button" onClick={() => setConfirmingDelete(true)} disabled={busy} data-testid="delete-customer">
            Delete…
          </button>
        ))}
      <FormErrors messages={errors} />
    </div>
  );
}
