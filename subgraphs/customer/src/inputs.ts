import { z } from 'zod';
import { boundedList, enumList, type ListInput } from '../../../lib/input-limits';
import { id, nonEmptyText, optionalText, searchText, storableDate } from '../../../lib/inputs';
import { CustomerKind, InteractionType, LifecycleStatus } from './generated/graphql';

const email = z.email({ message: 'must be a valid email address' }).max(254).transform((value) => value.toLowerCase()).nullish();
const phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9][0-9 ().-]{3,28}[0-9]$/, { message: 'must be a phone number such as +1 555 0100' })
  .nullish();
const tags = (coordinate: ListInput) =>
  boundedList(coordinate, z.string().trim().min(1, { message: 'must not be empty' }).max(50, { message: 'must be at most 50 characters' }), 'tags').transform((values) => [
    ...new Set(values),
  ]);
const kind = z.enum(CustomerKind);
export const lifecycleStatus = z.enum(LifecycleStatus);
const interactionType = z.enum(InteractionType);

export const createCustomerInput = z.object({
  kind: kind.default('PERSON'),
  name: nonEmptyText(200),
  email,
  phone,
  company: optionalText(200),
  status: lifecycleStatus.default('LEAD'),
  ownerId: optionalText(100),
  tags: tags('CreateCustomerInput.tags').nullish().transform((value) => value ?? []),
});

export const updateCustomerInput = z.object({
  kind: kind.optional(),
  name: nonEmptyText(200).optional(),
  email,
  phone,
  company: optionalText(200),
  status: lifecycleStatus.optional(),
  ownerId: optionalText(100),
  tags: tags('UpdateCustomerInput.tags').optional(),
});

export const customerFilter = z
  .object({
    search: searchText,
    status: enumList('CustomerFilter.status', lifecycleStatus).nullish(),
    kind: kind.nullish(),
    ownerId: z.string().max(100).nullish(),
    tags: boundedList('CustomerFilter.tags', z.string().max(50), 'tags').nullish(),
    company: searchText,
    createdAfter: storableDate.nullish(),
    createdBefore: storableDate.nullish(),
    includeArchived: z.boolean().nullish(),
  })
  .nullish();

export const createContactInput = z.object({
  customerId: id,
  name: nonEmptyText(200),
  email,
  phone,
  title: optionalText(200),
});

export const updateContactInput = z.object({
  name: nonEmptyText(200).optional(),
  email,
  phone,
  title: optionalText(200),
});

export const logInteractionInput = z.object({
  customerId: id,
  type: interactionType,
  subject: nonEmptyText(300),
  body: optionalText(10_000),
  occurredAt: storableDate.nullish(),
});
