import { z } from 'zod';
import { boundedList, enumList, type ListInput } from '../../../lib/input-limits';
import { id, money, nonEmptyText, optionalText, searchText, storableDate } from '../../../lib/inputs';
import { minorDigits, toMinorUnits } from '../../../lib/money';
import { CampaignChannel, CampaignStatus, CustomerKind, LifecycleStatus, MemberStatus, ResponseType } from './generated/graphql';
import type { SegmentRules } from './rules';

const campaignStatus = z.enum(CampaignStatus);
const channel = z.enum(CampaignChannel);
export const memberStatus = z.enum(MemberStatus);
const responseType = z.enum(ResponseType);

const tagList = (coordinate: ListInput) => boundedList(coordinate, z.string().trim().min(1).max(50), 'tags').nullish();

// Stored in minor units, as every amount is; an amount finer than its currency is refused.
const minimumAmount = money.transform((value, context) => {
  const digits = minorDigits(value.currency);
  if ((value.amount.split('.')[1] ?? '').length > digits) {
    context.addIssue({ code: 'custom', path: ['amount'], message: `${value.currency} has ${digits} decimal places` });
    return z.NEVER;
  }
  return { currency: value.currency, minorUnits: toMinorUnits(value.amount, value.currency, 'amount').toString() };
});
const rfmScore = z.string().regex(/^[1-5]{3}$/, { message: 'must be three digits from 1 to 5 (recency, frequency, monetary), such as "555"' });
const isSet = (value: unknown) => value !== null && value !== undefined && (!Array.isArray(value) || value.length > 0);

export const segmentRules = z
  .object({
    kinds: enumList('SegmentRulesInput.kinds', z.enum(CustomerKind)).nullish(),
    statuses: enumList('SegmentRulesInput.statuses', z.enum(LifecycleStatus)).nullish(),
    tagsAny: tagList('SegmentRulesInput.tagsAny'),
    tagsAll: tagList('SegmentRulesInput.tagsAll'),
    companies: boundedList('SegmentRulesInput.companies', z.string().trim().min(1).max(200), 'companies').nullish(),
    orderedWithinDays: z.number().int().min(1, { message: 'must be at least 1' }).max(36_500, { message: 'must be at most 36500 (100 years)' }).nullish(),
    minMonetary: minimumAmount.nullish(),
    rfmScores: boundedList('SegmentRulesInput.rfmScores', rfmScore, 'scores').transform((scores) => [...new Set(scores)]).nullish(),
  })
  .refine((rules) => Object.values(rules).some(isSet), { message: 'must set at least one rule' }) satisfies z.ZodType<SegmentRules>;

export const createSegmentInput = z.object({ name: nonEmptyText(200), description: optionalText(2_000), rules: segmentRules });
export const updateSegmentInput = z.object({ name: nonEmptyText(200).optional(), description: optionalText(2_000), rules: segmentRules.optional() });

const schedule = <T extends { startsAt?: Date | null; endsAt?: Date | null }>(value: T) =>
  !value.startsAt || !value.endsAt || value.endsAt > value.startsAt;
const scheduleIssue = { message: 'must be after startsAt', path: ['endsAt'] };

export const createCampaignInput = z
  .object({
    name: nonEmptyText(200),
    channel,
    status: campaignStatus.nullish().transform((value) => value ?? 'DRAFT'),
    budget: money,
    startsAt: storableDate.nullish(),
    endsAt: storableDate.nullish(),
    segmentId: id.nullish(),
  })
  .refine(schedule, scheduleIssue);

export const updateCampaignInput = z
  .object({
    name: nonEmptyText(200).optional(),
    channel: channel.optional(),
    status: campaignStatus.optional(),
    budget: money.optional(),
    startsAt: storableDate.nullish(),
    endsAt: storableDate.nullish(),
    segmentId: id.nullish(),
  })
  .refine(schedule, scheduleIssue);

export const campaignFilter = z
  .object({
    search: searchText,
    status: enumList('CampaignFilter.status', campaignStatus).nullish(),
    channel: enumList('CampaignFilter.channel', channel).nullish(),
    segmentId: id.nullish(),
  })
  .nullish();

export const memberIds = boundedList('Mutation.addCampaignMembers(customerIds:)', id, 'customers').min(1, { message: 'must name at least one customer' });

export const recordResponseInput = z.object({ campaignId: id, customerId: id, type: responseType, occurredAt: storableDate.nullish() });
