import { checkChanges, diffSchemas, parseAcceptedChanges, subgraphSchema, type SchemaChange } from './schema-check-lib';

const BEFORE = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
type Order @key(fields: "id") {
  id: ID!
  status: String!
  placedAt: String
}
type Query {
  order(id: ID!): Order
}
`;

const changesTo = (after: string): Promise<SchemaChange[]> => diffSchemas('sales', subgraphSchema(BEFORE), subgraphSchema(after));

describe('schema check', () => {
  it('fails on a removed field', async () => {
    const changes = await changesTo(BEFORE.replace('  placedAt: String\n', ''));

    expect(changes).toEqual([expect.objectContaining({ schema: 'sales', type: 'FIELD_REMOVED', path: 'Order.placedAt', criticality: 'BREAKING' })]);
    expect(checkChanges(changes, []).undeclared).toEqual(changes);
  });

  it('passes the same change once it is declared with a reason', async () => {
    const changes = await changesTo(BEFORE.replace('  placedAt: String\n', ''));
    const accepted = parseAcceptedChanges(
      JSON.stringify({
        acceptedBreakingChanges: [{ schema: 'sales', type: 'FIELD_REMOVED', path: 'Order.placedAt', reason: 'No client selects it.' }],
      }),
      'schema-changes.json',
    );

    expect(checkChanges(changes, accepted)).toEqual({ undeclared: [], unused: [] });
  });

  it('does not accept a declaration for another subgraph or without a reason', async () => {
    const changes = await changesTo(BEFORE.replace('  placedAt: String\n', ''));
    const elsewhere = [{ schema: 'customer', type: 'FIELD_REMOVED', path: 'Order.placedAt', reason: 'Wrong subgraph.' }];

    expect(checkChanges(changes, elsewhere).undeclared).toHaveLength(1);
    expect(() =>
      parseAcceptedChanges(JSON.stringify({ acceptedBreakingChanges: [{ ...elsewhere[0], reason: 'TODO: why clients are not broken' }] }), 'schema-changes.json'),
    ).toThrow('say why clients are not broken');
  });

  it('counts an added optional field as safe', async () => {
    const changes = await changesTo(BEFORE.replace('  placedAt: String\n', '  placedAt: String\n  note(format: String): String\n'));

    expect(changes.map((change) => [change.type, change.path, change.criticality])).toEqual([
      ['FIELD_ADDED', 'Order.note', 'NON_BREAKING'],
      ['FIELD_ARGUMENT_ADDED', 'Order.note.format', 'NON_BREAKING'],
    ]);
    expect(checkChanges(changes, []).undeclared).toEqual([]);
  });
});
