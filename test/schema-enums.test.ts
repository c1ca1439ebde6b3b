import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse } from 'graphql';
import { SUBGRAPH_NAMES } from '../lib/config';

// An enum is declared twice, in a subgraph's SDL and in a Prisma schema (a subgraph may also
// repeat another's, as marketing does LifecycleStatus); code takes its values from either one.
const prismaBySubgraph: Record<string, Record<string, Record<string, string>>> = Object.fromEntries(
  SUBGRAPH_NAMES.map((name) => [name, require(path.join(__dirname, '..', 'subgraphs', name, 'src', 'generated', 'prisma', 'enums'))]),
);
const prismaEnums = new Map(Object.values(prismaBySubgraph).flatMap((enums) => Object.entries(enums).map(([name, values]) => [name, Object.values(values)])));

function graphqlEnums(subgraph: string): Map<string, string[]> {
  const sdl = parse(readFileSync(path.join(__dirname, '..', 'subgraphs', subgraph, 'src', 'schema.graphql'), 'utf8'));
  return new Map(
    sdl.definitions.flatMap((definition) =>
      definition.kind === Kind.ENUM_TYPE_DEFINITION ? [[definition.name.value, (definition.values ?? []).map((value) => value.name.value)]] : [],
    ),
  );
}

const sharedNames = SUBGRAPH_NAMES.flatMap((subgraph) => [...graphqlEnums(subgraph).keys()].filter((name) => prismaEnums.has(name)).map((name) => [subgraph, name]));

test('no two Prisma schemas declare an enum of the same name', () => {
  const declared = Object.values(prismaBySubgraph).reduce((count, enums) => count + Object.keys(enums).length, 0);
  expect(prismaEnums.size).toBe(declared);
});

test.each(SUBGRAPH_NAMES)("every enum of %s's Prisma schema is in its SDL", (subgraph) => {
  expect([...graphqlEnums(subgraph).keys()]).toEqual(expect.arrayContaining(Object.keys(prismaBySubgraph[subgraph])));
});

test.each(sharedNames)('%s SDL enum %s has the values of the Prisma enum, in order', (subgraph, name) => {
  expect(graphqlEnums(subgraph).get(name)).toEqual(prismaEnums.get(name));
});
