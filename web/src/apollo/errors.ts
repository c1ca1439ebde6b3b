import { CombinedGraphQLErrors } from '@apollo/client/errors';
import type { GraphQLFormattedError } from 'graphql';

export type PathSegment = string | number;

// The errors of a result, whatever Apollo wrapped them in.
export function graphQLErrorsOf(error: unknown): readonly GraphQLFormattedError[] {
  return CombinedGraphQLErrors.is(error) ? error.errors : [];
}

const startsWith = (path: readonly PathSegment[] | undefined, prefix: readonly PathSegment[]) => !!path && prefix.every((segment, index) => path[index] === segment);

// What happened to the value at `path` of a partial answer: `hidden` when the role may not
// read it (FORBIDDEN), `unavailable` when the service that owns it did not answer, `failed`
// for any other error at or below it.
export type PartState = 'hidden' | 'unavailable' | 'failed' | undefined;

export function partState(errors: readonly GraphQLFormattedError[], path: readonly PathSegment[]): PartState {
  const here = errors.filter((error) => startsWith(error.path, path));
  if (here.length === 0) return undefined;
  const codes = new Set(here.map((error) => error.extensions?.code));
  if (codes.has('FORBIDDEN')) return 'hidden';
  if (codes.has('SUBGRAPH_UNAVAILABLE') || codes.has('DATABASE_UNAVAILABLE') || codes.has('QUERY_TIMEOUT')) return 'unavailable';
  return 'failed';
}

// The service named by the errors at `path` (the gateway adds `extensions.service`).
export function unavailableService(errors: readonly GraphQLFormattedError[], path: readonly PathSegment[]): string | undefined {
  const service = errors.find((error) => startsWith(error.path, path) && typeof error.extensions?.service === 'string')?.extensions?.service;
  return service as string | undefined;
}

// A mutation's errors by the input field they name (`extensions.field`, as `input.email`),
// every invalid field when the service lists them (`extensions.invalidFields`), and the ones
// that name no input. Only input errors name an input: a FORBIDDEN error's `field` is the
// mutation, a NOT_FOUND's the id argument.
export type FieldErrors = { byField: Record<string, string>; general: string[] };

const INPUT_ERRORS = new Set(['BAD_USER_INPUT', 'CONFLICT']);
type InvalidField = { field: string; message: string };
const withoutInputPrefix = (field: string) => field.replace(/^input\./, '');

export function fieldErrors(error: unknown): FieldErrors {
  const result: FieldErrors = { byField: {}, general: [] };
  for (const { message, extensions } of graphQLErrorsOf(error)) {
    const field = typeof extensions?.field === 'string' && INPUT_ERRORS.has(String(extensions.code)) ? withoutInputPrefix(extensions.field) : undefined;
    if (!field) {
      result.general.push(message);
      continue;
    }
    const listed = Array.isArray(extensions?.invalidFields) ? (extensions.invalidFields as InvalidField[]) : [{ field: String(extensions?.field), message }];
    for (const invalid of listed) result.byField[withoutInputPrefix(invalid.field)] ??= invalid.message;
  }
  if (!CombinedGraphQLErrors.is(error) && error instanceof Error) result.general.push(error.message);
  return result;
}
