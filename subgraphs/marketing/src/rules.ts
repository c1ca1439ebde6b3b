import type { CampaignStatus, MemberStatus, ResponseType } from './generated/prisma/client';

const campaignFlow: Record<CampaignStatus, CampaignStatus[]> = {
  DRAFT: ['SCHEDULED', 'ACTIVE'],
  SCHEDULED: ['DRAFT', 'ACTIVE'],
  ACTIVE: ['PAUSED', 'COMPLETED'],
  PAUSED: ['ACTIVE', 'COMPLETED'],
  COMPLETED: [],
};

export function canMoveCampaign(from: CampaignStatus, to: CampaignStatus): boolean {
  return from === to || campaignFlow[from].includes(to);
}

const memberProgress: MemberStatus[] = ['TARGETED', 'SENT', 'OPENED', 'CLICKED', 'RESPONDED', 'CONVERTED'];
const statusOfResponse: Record<ResponseType, MemberStatus> = {
  OPENED: 'OPENED',
  CLICKED: 'CLICKED',
  REPLIED: 'RESPONDED',
  REGISTERED: 'RESPONDED',
  UNSUBSCRIBED: 'UNSUBSCRIBED',
};

// A response moves a member forward, never back; unsubscribing always wins.
export function memberStatusAfter(current: MemberStatus, response: ResponseType): MemberStatus {
  const next = statusOfResponse[response];
  if (next === 'UNSUBSCRIBED' || current === 'UNSUBSCRIBED') return 'UNSUBSCRIBED';
  return memberProgress.indexOf(next) > memberProgress.indexOf(current) ? next : current;
}

// What a segment stores in its rules column, as inputs.ts's segmentRules checks it on the way
// in; a rule left out or empty holds for every customer.
export type SegmentRules = {
  kinds?: readonly string[] | null;
  statuses?: readonly string[] | null;
  tagsAny?: readonly string[] | null;
  tagsAll?: readonly string[] | null;
  companies?: readonly string[] | null;
};

export type CustomerAttributes = { kind: string; status: string; tags: string[]; company: string | null };

// Segment rules are evaluated on the attributes the customer service provides through
// @requires, so marketing never copies customer data.
export function matchesSegment(rules: SegmentRules, customer: CustomerAttributes): boolean {
  const company = customer.company?.toLowerCase() ?? null;
  return (
    (!rules.kinds?.length || rules.kinds.includes(customer.kind)) &&
    (!rules.statuses?.length || rules.statuses.includes(customer.status)) &&
    (!rules.tagsAny?.length || rules.tagsAny.some((tag) => customer.tags.includes(tag))) &&
    (!rules.tagsAll?.length || rules.tagsAll.every((tag) => customer.tags.includes(tag))) &&
    (!rules.companies?.length || (company !== null && rules.companies.some((name) => name.toLowerCase() === company)))
  );
}
