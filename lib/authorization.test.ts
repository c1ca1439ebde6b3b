import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { enforceAuthorization } from './authorization';

const schemaWith = (field: string) =>
  buildSubgraphSchema({
    typeDefs: parse(`
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@authenticated", "@requiresScopes"])
      type Query { ${field} }
    `),
  });

describe('enforceAuthorization', () => {
  it.each([
    ['an unknown role', 'secret: String @requiresScopes(scopes: [["ROOT"]])'],
    ['a flat list of roles', 'secret: String @requiresScopes(scopes: ["ADMIN"])'],
    ['an empty group', 'secret: String @requiresScopes(scopes: [[]])'],
    ['no groups', 'secret: String @requiresScopes(scopes: [])'],
  ])('refuses to start with %s instead of letting everyone in', (_case, field) => {
    expect(() => enforceAuthorization(schemaWith(field))).toThrow('@requiresScopes on Query.secret');
  });

  it('tells which fields a caller may read', () => {
    const allows = enforceAuthorization(schemaWith('secret: String @requiresScopes(scopes: [["ADMIN"], ["SALES", "VIEWER"]]) open: String'));
    expect(allows({ kind: 'user', userId: 'u', roles: ['ADMIN'] }, 'Query.secret')).toBe(true);
    expect(allows({ kind: 'user', userId: 'u', roles: ['SALES'] }, 'Query.secret')).toBe(false);
    expect(allows({ kind: 'user', userId: 'u', roles: ['SALES', 'VIEWER'] }, 'Query.secret')).toBe(true);
    expect(allows({ kind: 'anonymous' }, 'Query.open')).toBe(true);
  });
});
