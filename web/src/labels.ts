import type { CustomerKind, LifecycleStatus } from './generated/graphql';

// How the console names the schema's values. A Record of every value, so a value the schema
// adds cannot be left out of a select; the lists of values are read from these.
export const STATUS_LABELS = { LEAD: 'Lead', PROSPECT: 'Prospect', ACTIVE: 'Active', CHURNED: 'Churned' } satisfies Record<LifecycleStatus, string>;
export const KIND_LABELS = { PERSON: 'Person', ORGANIZATION: 'Organization' } satisfies Record<CustomerKind, string>;

export const STATUSES = Object.keys(STATUS_LABELS) as LifecycleStatus[];
export const KINDS = Object.keys(KIND_LABELS) as CustomerKind[];
