import { DAY_MS } from '../../../lib/demo-seed';
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

// The orders the customer analysis counts: those a customer committed to and that were not
// cancelled (what sales' lifetimeValue counts too).
export const COUNTED_ORDER_STATUSES = ['PLACED', 'PAID', 'FULFILLED'] as const;

// What a segment stores in its rules column, as inputs.ts's segmentRules checks it on the way
// in; a rule left out or empty holds for every customer.
export type SegmentRules = {
  kinds?: readonly string[] | null;
  statuses?: readonly string[] | null;
  tagsAny?: readonly string[] | null;
  tagsAll?: readonly string[] | null;
  companies?: readonly string[] | null;
  orderedWithinDays?: number | null;
  // Minor units as a string: JSON has no 64-bit integers.
  minMonetary?: { currency: string; minorUnits: string } | null;
  rfmScores?: readonly string[] | null;
};

export type CustomerAttributes = { kind: string; status: string; tags: string[]; company: string | null };

// Marketing's analysis of a customer's orders in one currency (loaders.ts ranks the scores).
export type OrderAnalysis = { currency: string; lastOrderAt: Date; monetaryMinor: bigint; score: string };

export const usesAnalysis = (rules: SegmentRules): boolean => rules.orderedWithinDays != null || rules.minMonetary != null || Boolean(rules.rfmScores?.length);

// Attribute rules are evaluated on what the customer service provides through @requires, so
// marketing never copies customer data; analysis rules on marketing's own order statistics.
export function matchesSegment(rules: SegmentRules, customer: CustomerAttributes, analysis: readonly OrderAnalysis[], now: number): boolean {
  const company = customer.company?.toLowerCase() ?? null;
  const minimum = rules.minMonetary;
  return (
    (!rules.kinds?.length || rules.kinds.includes(customer.kind)) &&
    (!rules.statuses?.length || rules.statuses.includes(customer.status)) &&
    (!rules.tagsAny?.length || rules.tagsAny.some((tag) => customer.tags.includes(tag))) &&
    (!rules.tagsAll?.length || rules.tagsAll.every((tag) => customer.tags.includes(tag))) &&
    (!rules.companies?.length || (company !== null && rules.companies.some((name) => name.toLowerCase() === company))) &&
    (rules.orderedWithinDays == null || analysis.some((entry) => entry.lastOrderAt.getTime() >= now - rules.orderedWithinDays! * DAY_MS)) &&
    (minimum == null || analysis.some((entry) => entry.currency === minimum.currency && entry.monetaryMinor >= BigInt(minimum.minorUnits))) &&
    (!rules.rfmScores?.length || analysis.some((entry) => rules.rfmScores!.includes(entry.score)))
  );
}

// A clock a little behind the database's must not make an order from the future.
export const recencyDays = (lastOrderAt: Date, now: number): number => Math.max(0, Math.floor((now - lastOrderAt.getTime()) / DAY_MS));

export const rfmScore = (scores: { recencyScore: number; frequencyScore: number; monetaryScore: number }): string =>
  `${scores.recencyScore}${scores.frequencyScore}${scores.monetaryScore}`;
