import { join, raw, sqltag as sql, type Sql } from '@prisma/client/runtime/client';
import { badUserInput } from './errors';
import { isId, isStorableText } from './inputs';

// Relay-style forward pagination with keyset cursors: a cursor holds the sort key and id of
// the last row seen, so pages stay stable while rows are inserted and cost the same at any depth.
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 1000;

export type SortDirection = 'ASC' | 'DESC';
export type PageArgs = { first?: number | null; after?: string | null };
// The arguments of a top-level list field (customers, orders, campaigns), as the client sent them.
export type RootListArgs<SortField extends string> = PageArgs & { filter?: unknown; orderBy?: { field: SortField; direction: SortDirection } | null };
type SortValue = string | bigint | Date;
type Cursor = { sort: string; value: SortValue; id: string };

// What a sort column holds. A cursor is the client's to send back, so it may come back
// altered: its value must be one the column can be compared with, or PostgreSQL fails the
// statement (a string where a timestamp belongs is error 22007).
export type SortValueType = 'date' | 'bigint' | 'string';
export type SortColumn<Field extends string = string> = { field: Field; type: SortValueType };
export const sortColumn = <Field extends string>(field: Field, type: SortValueType): SortColumn<Field> => ({ field, type });

const TAGS: Record<SortValueType, string> = { date: 'd', bigint: 'b', string: 's' };
const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;
// Sorted text columns are names of at most 200 characters.
const MAX_CURSOR_TEXT = 1_000;
// Date.toISOString() of a year between 1 and 9999, what PostgreSQL and encodeCursor share.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const parsers: Record<SortValueType, (text: string) => SortValue | null> = {
  date: (text) => {
    const date = new Date(text);
    return ISO_INSTANT.test(text) && date.toISOString() === text && date.getUTCFullYear() >= 1 ? date : null;
  },
  bigint: (text) => {
    if (!/^-?\d{1,19}$/.test(text)) return null;
    const value = BigInt(text);
    return value >= INT8_MIN && value <= INT8_MAX ? value : null;
  },
  string: (text) => (text.length <= MAX_CURSOR_TEXT && isStorableText(text) ? text : null),
};

export type Connection<T> = {
  // A function, which GraphQL calls only when edges are asked for: most clients read nodes,
  // and a cursor per row is work (1.7 % of the sales subgraph's CPU in the benchmark).
  edges: () => { cursor: string; node: T }[];
  nodes: T[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: () => Promise<number>;
};

export function pageSize(first: number | null | undefined, field = 'first'): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw badUserInput(`${field} must be an integer between 0 and ${MAX_PAGE_SIZE}`, field);
  }
  return size;
}

export function encodeCursor(sort: string, value: SortValue, id: string): string {
  const [type, text] =
    value instanceof Date ? ['d', value.toISOString()] : typeof value === 'bigint' ? ['b', value.toString()] : ['s', value];
  return Buffer.from(JSON.stringify([sort, type, text, id])).toString('base64url');
}

export function decodeCursor(cursor: string, sort: string, type: SortValueType, field = 'after'): Cursor {
  const invalid = () => badUserInput(`${field} is not a cursor from this list and sort order`, field);
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parts) || parts.length !== 4 || parts.some((part) => typeof part !== 'string') || parts[0] !== sort) {
    throw invalid();
  }
  const [, tag, text, id] = parts as string[];
  const value = tag === TAGS[type] ? parsers[type](text) : null;
  if (value === null || !isId(id)) throw invalid();
  return { sort, value, id };
}

// Prisma arguments for "rows after the cursor, in sort order", with id as the tie-breaker.
// The type parameters are the model's Prisma where and orderBy inputs.
// `list` names the list (its model), so a cursor from one list is refused by another.
export function keyset<Where, OrderBy>(list: string, sort: SortColumn, direction: SortDirection, after: string | null | undefined): { where: Where; orderBy: OrderBy[] } {
  const sortField = sort.field;
  const dir = direction === 'ASC' ? 'asc' : 'desc';
  const orderBy = [{ [sortField]: dir }, { id: dir }] as OrderBy[];
  if (!after) return { orderBy, where: {} as Where };
  const cursor = decodeCursor(after, `${list}.${sortField}:${direction}`, sort.type);
  const op = direction === 'ASC' ? 'gt' : 'lt';
  return {
    orderBy,
    where: { OR: [{ [sortField]: { [op]: cursor.value } }, { [sortField]: cursor.value, id: { [op]: cursor.id } }] } as Where,
  };
}

// Builds a connection from up to first + 1 rows; the extra row only tells there is a next page.
export function toConnection<T extends { id: string }>(
  list: string,
  rows: T[],
  first: number,
  sortField: keyof T & string,
  direction: SortDirection,
  totalCount: () => Promise<number>,
): Connection<T> {
  const nodes = rows.slice(0, first);
  const cursorOf = (node: T | undefined) => (node ? encodeCursor(`${list}.${sortField}:${direction}`, node[sortField] as SortValue, node.id) : null);
  return {
    edges: () => nodes.map((node) => ({ cursor: cursorOf(node)!, node })),
    nodes,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: false,
      startCursor: cursorOf(nodes[0]),
      endCursor: cursorOf(nodes[nodes.length - 1]),
    },
    totalCount,
  };
}

// What the loaders ask of Prisma Client: a statement built with Prisma's sql template tag,
// whose values travel as bound parameters.
type RawQueryable = { $queryRaw<T = unknown>(query: Sql): PromiseLike<T> };

// A page of a nested list: its size already checked at the edge, its cursor still the client's.
export type ChildPage = { first: number; after?: string | null };

// A child model as its generated client names it (Prisma.ModelName.Order and
// Prisma.OrderScalarFieldEnum): names fixed when the client is generated, never anything a
// request sent, so they may be written into the statement as identifiers. Every scalar field
// of the model is selected, so a row is what the model type promises.
export type ChildList<Row> = {
  model: string;
  columns: { readonly [Field in keyof Row]: Field };
  parent: keyof Row & string;
  sort: SortColumn<keyof Row & string>;
};

// A column of the child table, for a condition over it.
export type ChildColumn<Row> = (field: keyof Row & string) => Sql;

const identifier = (name: string) => `"${name.replace(/"/g, '""')}"`;

// One statement for the first page of children of many parents (the orders of 100 customers),
// newest first: a window function numbers each parent's rows so every page is cut in SQL.
export async function childPagesByParent<Row extends { id: string }>(
  db: RawQueryable,
  list: ChildList<Row>,
  parentIds: readonly string[],
  page: ChildPage,
  condition?: (column: ChildColumn<Row>) => Sql,
): Promise<Map<string, { rows: Row[]; hasNextPage: boolean }>> {
  const column: ChildColumn<Row> = (field) => raw(`c.${identifier(field)}`);
  const fields = Object.keys(list.columns) as (keyof Row & string)[];
  const cursor = page.after ? decodeCursor(page.after, `${list.model}.${list.sort.field}:DESC`, list.sort.type) : null;
  const conditions = [sql`${column(list.parent)} = ANY(${parentIds}::uuid[])`];
  if (cursor) conditions.push(sql`(${column(list.sort.field)}, ${column('id')}) < (${cursor.value}, ${cursor.id}::uuid)`);
  if (condition) conditions.push(condition(column));
  const rows = await db.$queryRaw<(Row & { __parent: string })[]>(sql`
    SELECT ${join(fields.map((field) => raw(identifier(field))))}, "__parent" FROM (
      SELECT ${join(fields.map(column))}, ${column(list.parent)}::text AS "__parent",
             row_number() OVER (PARTITION BY ${column(list.parent)} ORDER BY ${column(list.sort.field)} DESC, ${column('id')} DESC) AS "__rank"
      FROM ${raw(identifier(list.model))} c WHERE ${join(conditions, ' AND ')}
    ) ranked WHERE "__rank" <= ${page.first + 1} ORDER BY "__parent", "__rank"`);
  const pages = new Map<string, { rows: Row[]; hasNextPage: boolean }>(parentIds.map((parentId) => [parentId, { rows: [], hasNextPage: false }]));
  for (const { __parent, ...row } of rows) {
    const parentPage = pages.get(__parent);
    if (!parentPage) continue;
    if (parentPage.rows.length < page.first) parentPage.rows.push(row as unknown as Row);
    else parentPage.hasNextPage = true;
  }
  return pages;
}

export function toChildConnection<T extends { id: string }>(
  list: string,
  page: { rows: T[]; hasNextPage: boolean },
  sortColumn: keyof T & string,
  totalCount: () => Promise<number>,
): Connection<T> {
  const connection = toConnection(list, page.rows, page.rows.length, sortColumn, 'DESC', totalCount);
  connection.pageInfo.hasNextPage = page.hasNextPage;
  return connection;
}
