import { decodeCursor, encodeCursor, keyset, pageSize, toConnection } from './pagination';

const ID = '0b0e7c1e-4a3f-4c1e-9f1a-2b3c4d5e6f70';

describe('pagination', () => {
  it('round-trips cursors of every sort value type', () => {
    const date = new Date('2026-01-02T03:04:05.000Z');
    expect(decodeCursor(encodeCursor('Order.createdAt:DESC', date, ID), 'Order.createdAt:DESC')).toEqual({ sort: 'Order.createdAt:DESC', value: date, id: ID });
    expect(decodeCursor(encodeCursor('Order.totalMinor:ASC', 10n ** 18n, ID), 'Order.totalMinor:ASC').value).toBe(10n ** 18n);
    expect(decodeCursor(encodeCursor('Customer.name:ASC', 'Ada', ID), 'Customer.name:ASC').value).toBe('Ada');
  });

  it('rejects cursors that are garbage or belong to another list or sort order', () => {
    const cursor = encodeCursor('Customer.name:ASC', 'Ada', ID);
    for (const bad of ['nonsense', '', Buffer.from('[1,2]').toString('base64url'), encodeCursor('Customer.name:ASC', 'Ada', 'not-a-uuid')]) {
      expect(() => decodeCursor(bad, 'Customer.name:ASC')).toThrow(expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'after' } }));
    }
    expect(() => decodeCursor(cursor, 'Customer.createdAt:DESC')).toThrow('not a cursor from this list');
    expect(() => decodeCursor(cursor, 'Product.name:ASC')).toThrow('not a cursor from this list');
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
    expect(keyset('Customer', 'name', 'ASC', after)).toEqual({
      orderBy: [{ name: 'asc' }, { id: 'asc' }],
      where: { OR: [{ name: { gt: 'Ada' } }, { name: 'Ada', id: { gt: ID } }] },
    });
    expect(keyset('Customer', 'name', 'DESC', null).where).toEqual({});
  });

  it('uses the extra row only to tell there is a next page', async () => {
    const rows = [1, 2, 3].map((n) => ({ id: `${ID.slice(0, -1)}${n}`, name: `n${n}` }));
    const connection = toConnection('Customer', rows, 2, 'name', 'ASC', async () => 3);
    expect(connection.nodes.map((node) => node.name)).toEqual(['n1', 'n2']);
    expect(connection.pageInfo.hasNextPage).toBe(true);
    expect(decodeCursor(connection.pageInfo.endCursor!, 'Customer.name:ASC').value).toBe('n2');
    expect(await connection.totalCount()).toBe(3);
    expect(toConnection('Customer', rows, 3, 'name', 'ASC', async () => 3).pageInfo.hasNextPage).toBe(false);
  });
});
