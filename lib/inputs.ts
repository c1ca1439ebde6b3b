import { z } from 'zod';
import { badUserInput } from './errors';

// PostgreSQL cannot store NUL in text, and a lone UTF-16 surrogate is not a character at all.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const isStorableText = (text: string) => !UNSTORABLE.test(text);

function findUnstorableText(value: unknown, path: string): string | null {
  if (typeof value === 'string') return isStorableText(value) ? null : path;
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const found = findUnstorableText(child, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

// Validation happens once, at the edge, before any query runs: a rejected input writes nothing.
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, root: string): z.infer<T> {
  const unstorable = findUnstorableText(value, root);
  if (unstorable) throw badUserInput(`${unstorable}: must be valid Unicode text without NUL characters`, unstorable);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  // The first problem is the error's message and field; every field's first problem is listed
  // too, so a form can mark all of them after one attempt.
  const invalidFields = new Map<string, string>();
  for (const issue of result.error.issues) {
    const field = [root, ...issue.path.map(String)].join('.');
    if (!invalidFields.has(field)) invalidFields.set(field, issue.message);
  }
  const [[field, message]] = invalidFields;
  const error = badUserInput(`${field}: ${message}`, field);
  error.extensions.invalidFields = [...invalidFields].map(([name, problem]) => ({ field: name, message: problem }));
  throw error;
}

// The one definition of an id, for arguments, input fields, entity references and cursors alike.
export const id = z.uuid({ message: 'must be a valid ID' });
// The schema's own pattern, so the thousands of references in one _entities call are tested
// without the cost of parsing each.
const ID_PATTERN = id.def.pattern!;
export const isId = (value: unknown): value is string => typeof value === 'string' && ID_PATTERN.test(value);
// Zod's own message for a value of another type ("expected string, received null") names its
// internals; clients are told what the field takes.
const text = () => z.string({ error: (issue) => (issue.input === null ? 'must not be null' : issue.input === undefined ? 'is required' : 'must be text') });
export const nonEmptyText = (max: number) =>
  text()
    .trim()
    .min(1, { message: 'must not be empty' })
    .max(max, { message: `must be at most ${max} characters` })
    // Zero-width and formatting characters alone would make a name nobody can see.
    .regex(/[\p{L}\p{N}\p{P}\p{S}]/u, { message: 'must contain a visible character' });
export const optionalText = (max: number) =>
  text().trim().max(max, { message: `must be at most ${max} characters` }).nullish();
// A search (or a case-insensitive match, which is ILIKE too) matches the text as typed: LIKE's
// wildcards and escape character are escaped.
export const searchText = z
  .string()
  .trim()
  .max(200, { message: 'must be at most 200 characters' })
  .transform((value) => value.replace(/[\\%_]/g, '\\$&'))
  .nullish();
// PostgreSQL stores years 1 to 294276; ISO 8601 without a sign writes 0 to 9999.
export const storableDate = z.date().refine((date) => date.getUTCFullYear() >= 1 && date.getUTCFullYear() <= 9999, { message: 'must be a date between the years 1 and 9999' });

// The largest amount a BIGINT column of minor units holds.
export const MAX_MINOR_UNITS = 2n ** 63n - 1n;

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
