import { createContext, useContext } from 'react';
import { ApolloLink } from '@apollo/client';
import type { GraphQLFormattedError } from 'graphql';
import { map } from 'rxjs';
import { partState, unavailableService, type PartState } from './errors';

export type MissingPart = { state: NonNullable<PartState>; service?: string; message: string };
// An object of a query's answer: an entity when it carries __typename and id.
type Entity = object | null | undefined;

const entityKey = (value: unknown): string | undefined => {
  const entity = value as { __typename?: unknown; id?: unknown } | null | undefined;
  return entity && typeof entity === 'object' && entity.__typename && entity.id ? `${entity.__typename}:${entity.id}` : undefined;
};

// Why fields of entities came back null (hidden, unavailable), remembered by the entity and
// field rather than by the error's path. Apollo keeps no errors in its cache: a query's
// `error` is dropped once the cache changes its data (a fetchMore page, a subscription event,
// a mutation's answer), and paths count list rows from 0 in each answer. Every answer passes
// through `link`, so a VIEWER's hidden email stays "hidden" on every page of the list and after
// every live update. One instance per session: another user sees other fields.
export class MissingParts {
  // By entity ('Customer:42'), then by the field's path below it ('email').
  private readonly byEntity = new Map<string, Map<string, MissingPart>>();

  readonly link = new ApolloLink((operation, forward) =>
    forward(operation).pipe(
      map((result) => {
        if ('data' in result) this.record(result.data, result.errors ?? []);
        return result;
      }),
    ),
  );

  private record(data: unknown, errors: readonly GraphQLFormattedError[]): void {
    const missingNow = new Set<string>();
    for (const error of errors) {
      if (!error.path) continue;
      // The error belongs to the field below the deepest entity on its path.
      let value: unknown = data;
      let anchor: { key: string; depth: number } | undefined;
      error.path.forEach((segment, depth) => {
        const key = entityKey(value);
        if (key) anchor = { key, depth };
        value = value && typeof value === 'object' ? (value as Record<string | number, unknown>)[segment] : undefined;
      });
      if (!anchor) continue;
      const field = error.path.slice(anchor.depth).join('.');
      const state = partState([error], error.path);
      if (!state) continue;
      const fields = this.byEntity.get(anchor.key) ?? new Map<string, MissingPart>();
      fields.set(field, { state, service: unavailableService([error], error.path), message: error.message });
      this.byEntity.set(anchor.key, fields);
      missingNow.add(`${anchor.key}.${error.path[anchor.depth]}`);
    }
    if (this.byEntity.size > 0) this.forgetAnswered(data, missingNow);
  }

  // A field an answer holds without an error is no longer missing (a service that is back, a
  // field that is null for its own reasons).
  private forgetAnswered(value: unknown, missingNow: ReadonlySet<string>): void {
    if (!value || typeof value !== 'object') return;
    if (Array.isArray(value)) return value.forEach((item) => this.forgetAnswered(item, missingNow));
    const key = entityKey(value);
    const known = key ? this.byEntity.get(key) : undefined;
    for (const [field, child] of Object.entries(value)) {
      if (known && !missingNow.has(`${key}.${field}`)) {
        for (const path of known.keys()) if (path === field || path.startsWith(`${field}.`)) known.delete(path);
      }
      this.forgetAnswered(child, missingNow);
    }
    if (known?.size === 0) this.byEntity.delete(key!);
  }

  // Why `field` of `entity` is missing, if it is (a value that came back is never missing).
  of(entity: Entity, field: string): MissingPart | undefined {
    const key = entityKey(entity);
    const value = entity ? (entity as Record<string, unknown>)[field] : undefined;
    return key && value == null ? this.byEntity.get(key)?.get(field) : undefined;
  }
}

export const MissingPartsContext = createContext<MissingParts>(new MissingParts());

export const useMissingParts = () => useContext(MissingPartsContext);
