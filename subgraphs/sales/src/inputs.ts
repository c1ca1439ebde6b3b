import { z } from 'zod';
import { boundedList, enumList } from '../../../lib/input-limits';
import { id, money, nonEmptyText, optionalText, searchText, storableDate } from '../../../lib/inputs';
import { OpportunityStage, OrderStatus } from './generated/graphql';

export const orderStatus = z.enum(OrderStatus);
export const opportunityStage = z.enum(OpportunityStage);

const calendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date as YYYY-MM-DD' })
  .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value), {
    message: 'is not a calendar date',
  })
  .transform((value) => new Date(`${value}T00:00:00Z`))
  .pipe(storableDate);
const probability = z.number().int({ message: 'must be a whole number' }).min(0, { message: 'must be between 0 and 100' }).max(100, { message: 'must be between 0 and 100' });

export const createProductInput = z.object({
  sku: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: 'must be 1 to 64 letters, digits, dots, dashes or underscores' })
    .transform((value) => value.toUpperCase()),
  name: nonEmptyText(200),
  description: optionalText(5_000),
  price: money,
  active: z.boolean().nullish().transform((value) => value ?? true),
});

export const updateProductInput = z.object({
  name: nonEmptyText(200).optional(),
  description: optionalText(5_000),
  price: money.optional(),
  active: z.boolean().optional(),
});

export const productFilter = z.object({ search: searchText, active: z.boolean().nullish() }).nullish();

export const createOrderInput = z.object({
  customerId: id,
  items: boundedList(
    'CreateOrderInput.items',
    z.object({
      productId: id,
      quantity: z.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be at least 1' }).max(100_000, { message: 'must be at most 100000' }),
    }),
    'items',
  ).min(1, { message: 'must hold at least one item' }),
  status: z.enum([OrderStatus.DRAFT, OrderStatus.PLACED], { message: 'a new order is DRAFT or PLACED' }).nullish().transform((value) => value ?? 'DRAFT'),
});

export const orderFilter = z
  .object({
    customerId: id.nullish(),
    status: enumList('OrderFilter.status', orderStatus).nullish(),
    createdAfter: storableDate.nullish(),
    createdBefore: storableDate.nullish(),
  })
  .nullish();

export const createOpportunityInput = z.object({
  customerId: id,
  name: nonEmptyText(200),
  stage: opportunityStage.nullish().transform((value) => value ?? 'PROSPECTING'),
  amount: money,
  probability,
  expectedCloseDate: calendarDate,
  ownerId: optionalText(100),
});

export const updateOpportunityInput = z.object({
  name: nonEmptyText(200).optional(),
  stage: opportunityStage.optional(),
  amount: money.optional(),
  probability: probability.optional(),
  expectedCloseDate: calendarDate.optional(),
  ownerId: optionalText(100),
});

export const opportunityFilter = z
  .object({
    customerId: id.nullish(),
    stage: enumList('OpportunityFilter.stage', opportunityStage).nullish(),
    ownerId: z.string().max(100).nullish(),
    closingFrom: calendarDate.nullish(),
    closingTo: calendarDate.nullish(),
  })
  .nullish();

// The status and stage filters of a customer's nested orders and deals.
export const childOrderStatuses = enumList('Customer.orders(status:)', orderStatus).nullish();
export const childOpportunityStages = enumList('Customer.opportunities(stage:)', opportunityStage).nullish();
