import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useMutation, useQuery } from '@apollo/client/react';
import { graphql } from '../generated';
import type { CustomerKind, LifecycleStatus, UpdateCustomerInput } from '../generated/graphql';
import { graphQLErrorsOf } from '../apollo/errors';
import { KIND_LABELS, KINDS, STATUS_LABELS, STATUSES } from '../labels';
import { canWrite, useSession } from '../session';
import { FormErrors, FormField, noErrors, Options, placeErrors, type PlacedErrors } from '../components/FormField';
import '../components/forms.css';

// What the form edits, and what the list and customer page show: the mutations select it too,
// so the cache updates every view of the customer. Operations name it; the preset adds it.
graphql(`
  fragment CustomerFormFields on Customer {
    id
    kind
    name
    email
    phone
    company
    status
    nextStatuses
    tags
    ownerId
    updatedAt
  }
`);

const CustomerForm = graphql(`
  query CustomerForm($id: ID!) {
    customer(id: $id) {
      ...CustomerFormFields
    }
  }
`);

const CreateCustomer = graphql(`
  mutation CreateCustomer($input: CreateCustomerInput!) {
    createCustomer(input: $input) {
      ...CustomerFormFields
    }
  }
`);

const UpdateCustomer = graphql(`
  mutation UpdateCustomer($id: ID!, $input: UpdateCustomerInput!) {
    updateCustomer(id: $id, input: $input) {
      ...CustomerFormFields
    }
  }
`);


// What the inputs hold: text as typed, tags comma separated.
type FormValues = { kind: CustomerKind; name: string; email: string; phone: string; company: string; status: LifecycleStatus; tags: string };
const inputNames = ['kind', 'name', 'email', 'phone', 'company', 'status', 'tags'];
const emptyCustomer: FormValues = { kind: 'PERSON', name: '', email: '', phone: '', company: '', status: 'LEAD', tags: '' };

type CustomerInput = { kind: CustomerKind; name: string; email: string | null; phone: string | null; company: string | null; status: LifecycleStatus; tags: string[] };

// An empty optional input is sent as null, which clears the field on an edit.
function toInput(values: FormValues): CustomerInput {
  const optional = (text: string) => text.trim() || null;
  const tags = values.tags.split(',').map((tag) => tag.trim()).filter(Boolean);
  return { kind: values.kind, name: values.name.trim(), email: optional(values.email), phone: optional(values.phone), company: optional(values.company), status: values.status, tags };
}

// An edit sends only what changed, so it does not overwrite a concurrent change to another field.
function changes(before: FormValues, after: FormValues): UpdateCustomerInput {
  const [old, next] = [toInput(before), toInput(after)];
  return Object.fromEntries(Object.entries(next).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(old[key as keyof CustomerInput])));
}

export function CustomerFormPage() {
  const { id } = useParams();
  const { session } = useSession();
  if (!canWrite(session)) {
    return (
      <p className="notice">
        Your role ({session.roles.join(', ')}) may not create or edit customers. <Link to={id ? `/customers/${id}` : '/'}>Back</Link>
      </p>
    );
  }
  return id ? <EditCustomer id={id} /> : <CustomerFields initial={emptyCustomer} />;
}

function EditCustomer({ id }: { id: string }) {
  const { data, loading, error } = useQuery(CustomerForm, { variables: { id } });
  if (loading && !data) return <p>Loading…</p>;
  const customer = data?.customer;
  if (!customer) {
    const message = graphQLErrorsOf(error)[0]?.message ?? error?.message ?? 'No such customer';
    return (
      <p className="error" data-testid="form-error">
        {message}. <Link to="/">Back to the customers</Link>
      </p>
    );
  }
  const initial: FormValues = {
    kind: customer.kind,
    name: customer.name,
    email: customer.email ?? '',
    phone: customer.phone ?? '',
    company: customer.company ?? '',
    status: customer.status,
    tags: customer.tags.join(', '),
  };
  // The statuses the server accepts for this customer now, from its lifecycle rule.
  return <CustomerFields id={id} initial={initial} statusChoices={[customer.status, ...customer.nextStatuses]} />;
}

function CustomerFields({ id, initial, statusChoices = STATUSES }: { id?: string; initial: FormValues; statusChoices?: readonly LifecycleStatus[] }) {
  const navigate = useNavigate();
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<PlacedErrors>(noErrors);
  const [createCustomer, creating] = useMutation(CreateCustomer, {
    // A new customer's place in a list depends on the list's filter and sort, which only the
    // server knows: every cached customers list is dropped and read again when next shown.
    // (The list also refetches on the CREATED event, but that arrives later, if at all.)
    update(cache, { data }) {
      if (!data?.createCustomer) return;
      cache.evict({ fieldName: 'customers' });
      cache.gc();
    },
  });
  const [updateCustomer, updating] = useMutation(UpdateCustomer);
  const set = (field: keyof FormValues) => (event: { target: { value: string } }) => setValues({ ...values, [field]: event.target.value });

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = id
      ? await updateCustomer({ variables: { id, input: changes(initial, values) } }).then(({ data, error }) => ({ saved: data?.updateCustomer, error }))
      : await createCustomer({ variables: { input: toInput(values) } }).then(({ data, error }) => ({ saved: data?.createCustomer, error }));
    if (result.saved) navigate(`/customers/${result.saved.id}`);
    else setErrors(placeErrors(result.error ?? new Error('The customer was not saved'), inputNames));
  }

  const fieldError = (name: keyof FormValues) => errors.byField[name];
  return (
    <section className="card form-card">
      <h1>{id ? `Edit ${initial.name}` : 'New customer'}</h1>
      <form className="entity-form" onSubmit={submit} noValidate>
        <div className="form-row">
          <FormField label="Kind" name="kind" error={fieldError('kind')}>
            <select name="kind" value={values.kind} onChange={set('kind')}>
              <Options values={KINDS} labels={KIND_LABELS} />
            </select>
          </FormField>
          <FormField label="Status" name="status" error={fieldError('status')}>
            <select name="status" value={values.status} onChange={set('status')}>
              <Options values={statusChoices} labels={STATUS_LABELS} />
            </select>
          </FormField>
        </div>
        <FormField label="Name" name="name" error={fieldError('name')}>
          <input name="name" value={values.name} onChange={set('name')} />
        </FormField>
        <div className="form-row">
          <FormField label="Email" name="email" error={fieldError('email')}>
            <input name="email" type="email" value={values.email} onChange={set('email')} />
          </FormField>
          <FormField label="Phone" name="phone" error={fieldError('phone')}>
            <input name="phone" type="tel" value={values.phone} onChange={set('phone')} />
          </FormField>
        </div>
        <FormField label="Company" name="company" error={fieldError('company')}>
          <input name="company" value={values.company} onChange={set('company')} />
        </FormField>
        <FormField label="Tags (comma separated)" name="tags" error={fieldError('tags')}>
          <input name="tags" value={values.tags} onChange={set('tags')} />
        </FormField>
        <FormErrors messages={errors.general} />
        <div className="form-actions">
          <button type="submit" data-testid="save-customer" disabled={creating.loading || updating.loading}>
            {id ? 'Save changes' : 'Create customer'}
          </button>
          <Link to={id ? `/customers/${id}` : '/'}>Cancel</Link>
        </div>
      </form>
    </section>
  );
}
