import { decodeCursor, encodeCursor, keyset, pageSize, sortColumn, toConnection } from './pagination';

const ID = '0b0e7c1e-4a3f-4c1e-9f1a-2b3c4d5e6f70';

describe('pagination', () => {
  it('round-trips cursors of every sort value type', () => {
    const date = new Date('2026-01-02T03:04:05.000Z');
    expect(decodeCursor(encodeCursor('Order.createdAt:DESC', date, ID), 'Order.createdAt:DESC', 'date')).toEqual({ sort: 'Order.createdAt:DESC', value: date, id: ID });
    expect(decodeCursor(encodeCursor('Order.totalMinor:ASC', 10n ** 18n, ID), 'Order.totalMinor:ASC', 'bigint').value).toBe(10n ** 18n);
    expect(decodeCursor(encodeCursor('Customer.name:ASC', 'Ada', ID), 'Customer.name:ASC', 'string').value).toBe('Ada');
  });

  it('rejects cursors that are garbage or belong to another list or sort order', () => {
    const cursor = encodeCursor('Customer.name:ASC', 'Ada', ID);
    for (const bad of ['nonsense', '', Buffer.from('[1,2]').toString('base64url'), encodeCursor('Customer.name:ASC', 'Ada', 'not-a-uuid')]) {
      expect(() => decodeCursor(bad, 'Customer.name:ASC', 'string')).toThrow(expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'after' } }));
    }
    expect(() => decodeCursor(cursor, 'Customer.createdAt:DESC', 'date')).toThrow('not a cursor from this list');
    expect(() => decodeCursor(cursor, 'Product.name:ASC', 'string')).toThrow('not a cursor from this list');
  });

  it('refuses a cursor whose value is not of the sort column\'s type, or not one the column can hold', () => {
    const crafted = (sort: string, tag: string, text: string) => Buffer.from(JSON.stringify([sort, tag, text, ID])).toString('base64url');
    const refused = [
      ['Order.createdAt:DESC', 'date', 's', '2026-01-02T03:04:05.000Z'],
      ['Order.createdAt:DESC', 'date', 'd', 'yesterday'],
      ['Order.createdAt:DESC', 'date', 'd', '0000-01-01T00:00:00.000Z'],
      ['Order.createdAt:DESC', 'date', 'd', '2026-02-30T00:00:00.000Z'],
      ['Order.totalMinor:ASC', 'bigint', 'n', '12'],
      ['Order.totalMinor:ASC', 'bigint', 'b', '1.5'],
      ['Order.totalMinor:ASC', 'bigint', 'b', String(2n ** 63n)],
      ['Customer.name:ASC', 'string', 'd', '2026-01-02T03:04:05.000Z'],
      ['Customer.name:ASC', 'string', 's', 'A\u0000'],
    ] as const;
    for (const [sort, type, tag, text] of refused) {
      expect(() => decodeCursor(crafted(sort, tag, text), sort, type)).toThrow(expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'after' } }));
    }
    expect(decodeCursor(crafted('Order.totalMinor:ASC', 'b', String(2n ** 63n - 1n)), 'Order.totalMinor:ASC', 'bigint').value).toBe(2n ** 63n - 1n);
  });

  it('bounds page sizes', () => {
    expect(pageSize(undefined)).toBe(20);
    expect(pageSize(0)).toBe(0);
    expect(pageSize(1000)).toBe(1000);
    expect(() => pageSize(1001)).toThrow(expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'first' } }));
    expect(() => pageSize(-1)).toThrow('first must be an integer');
  });

  it('builds keyset conditions that continue after the cursor, id breaking ties', () => {
    const after = encodeCursor('Customer.name:ASC', 'Ada', ID);
    expect(keyset('Customer', sortColumn('name', 'string'), 'ASC', after)).toEqual({
      orderBy: [{ name: 'asc' }, { id: 'asc' }],
      where: { OR: [{ name: { gt: 'Ada' } }, { name: 'Ada', id: { gt: ID } }] },
    });
    expect(keyset('Customer', sortColumn('name', 'string'), 'DESC', null).where).toEqual({});
  });

  it('uses the extra row only to tell there is a next page', async () => {
    const rows = [1, 2, 3].map((n) => ({ id: `${ID.slice(0, -1)}${n}`, name: `n${n}` }));
    const connection = toConnection('Customer', rows, 2, 'name', 'ASC', async () => 3);
    expect(connection.nodes.map((node) => node.name)).toEqual(['n1', 'n2']);
    expect(connection.pageInfo.hasNextPage).toBe(true);
    expect(decodeCursor(connection.pageInfo.endCursor!, 'Customer.name:ASC', 'string').value).toBe('n2');
    expect(await connection.totalCount()).toBe(3);
    expect(toConnection('Customer', rows, 3, 'name', 'ASC', async () => 3).pageInfo.hasNextPage).toBe(false);
  });
});
