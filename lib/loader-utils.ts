import { isId } from './inputs';

// Small pieces every subgraph's loaders.ts shares.

// Loaders for nested lists are keyed by parent id; this keeps one loader per distinct set of
// list arguments, so "the first 5 contacts" of 100 customers is a single statement.
export function perArguments<A, L>(create: (args: A) => L): (args: A) => L {
  const byArgs = new Map<string, L>();
  return (args) => {
    const key = JSON.stringify(args);
    let loader = byArgs.get(key);
    if (!loader) byArgs.set(key, (loader = create(args)));
    return loader;
  };
}

// DataLoader wants results in the order of its keys, with null where a row is missing.
export function inKeyOrder<T extends { id: string }>(rows: T[], ids: readonly string[]): (T | null)[] {
  const map = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => map.get(id) ?? null);
}

export function groupedInKeyOrder<T>(rows: T[], ids: readonly string[], keyOf: (row: T) => string): T[][] {
  const map = new Map<string, T[]>(ids.map((id) => [id, []]));
  for (const row of rows) map.get(keyOf(row))?.push(row);
  return ids.map((id) => map.get(id)!);
}

export function countsInKeyOrder<T extends { _count: { _all: number } }>(rows: T[], ids: readonly string[], keyOf: (row: T) => string): number[] {
  const map = new Map(rows.map((row) => [keyOf(row), row._count._all]));
  return ids.map((id) => map.get(id) ?? 0);
}

// References can come from any subgraph; an id that cannot exist resolves to null, not an error.
export const validIds = (ids: readonly string[]) => ids.filter(isId);

// loadMany answers a key whose load failed with its Error. Dropping it would turn a database
// outage into a plausible figure (no revenue, no campaigns), so the first failure fails the field.
export function allLoaded<T>(results: (T | Error)[]): T[] {
  const failure = results.find((result): result is Error => result instanceof Error);
  if (failure) throw failure;
  return results as T[];
}
