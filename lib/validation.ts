import { z } from 'zod';
import { badUserInput } from './errors';

// Validation happens once, at the edge, before any query runs: a rejected input writes nothing.
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, root: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = [root, ...issue.path.map(String)].join('.');
  throw badUserInput(`${field}: ${issue.message}`, field);
}

export const id = z.uuid({ message: 'must be a valid ID' });
export const nonEmptyText = (max: number) =>
  z.string().trim().min(1, { message: 'must not be empty' }).max(max, { message: `must be at most ${max} characters` });
export const optionalText = (max: number) =>
  z.string().trim().max(max, { message: `must be at most ${max} characters` }).nullish();
export const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, { message: 'must be a three-letter ISO 4217 code such as USD' })
  .refine((code) => Intl.supportedValuesOf('currency').includes(code), { message: 'is not a known currency' });
export const decimalAmount = z
  .string()
  .regex(/^\d{1,15}(\.\d{1,4})?$/, { message: 'must be a non-negative decimal string such as "19.99"' });
export const money = z.object({ amount: decimalAmount, currency });

export function parseId(value: unknown, field = 'id'): string {
  return parseInput(id, value, field);
}
