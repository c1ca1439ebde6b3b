import type { SegmentRules } from './validation';

export type CustomerAttributes = { kind: string; status: string; tags: string[]; company: string | null };

// Segment rules are evaluated on the attributes the customer service provides through
// @requires, so marketing never copies customer data.
export function matchesSegment(rules: SegmentRules, customer: CustomerAttributes): boolean {
  const company = customer.company?.toLowerCase() ?? null;
  return (
    (!rules.kinds?.length || rules.kinds.includes(customer.kind as never)) &&
    (!rules.statuses?.length || rules.statuses.includes(customer.status as never)) &&
    (!rules.tagsAny?.length || rules.tagsAny.some((tag) => customer.tags.includes(tag))) &&
    (!rules.tagsAll?.length || rules.tagsAll.every((tag) => customer.tags.includes(tag))) &&
    (!rules.companies?.length || (company !== null && rules.companies.some((name) => name.toLowerCase() === company)))
  );
}
