import { readFileSync } from 'node:fs';
import type { CodegenConfig } from '@graphql-codegen/cli';
import { SUBGRAPH_NAMES, type SubgraphName } from './lib/config';

// Resolver types for each subgraph from its own SDL file (never a running server), written
// next to its Prisma Client. Paths inside `config` are module paths from the generated file.
// Each subgraph names, by convention, its resolvers' context (`Context` in src/server.ts) and
// what the resolvers of a GraphQL type receive as their parent where that is not the type
// itself (`<Type>Model` in src/resolvers/models.ts: a Prisma row, a connection from
// lib/pagination.ts, or the reference the gateway sends for another subgraph's entity).
export const modelsFile = (name: SubgraphName) => `subgraphs/${name}/src/resolvers/models.ts`;

function mappedTypes(name: SubgraphName): string[] {
  const exported = readFileSync(modelsFile(name), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('export'))
    .join('\n');
  return [...new Set([...exported.matchAll(/\b([A-Z]\w*)Model\b/g)].map((match) => match[1]))];
}

export const generatedFile = (name: SubgraphName) => `subgraphs/${name}/src/generated/graphql.ts`;
export const schemaFile = (name: SubgraphName) => `subgraphs/${name}/src/schema.graphql`;

const config: CodegenConfig = {
  overwrite: true,
  silent: true,
  // Types and enum values in the SDL's order (read by the schema loader from here only), so a
  // listed enum has its values in the order the SDL and the Prisma schema declare them.
  config: { sort: false },
  generates: Object.fromEntries(
    SUBGRAPH_NAMES.map((name) => [
      generatedFile(name),
      {
        schema: schemaFile(name),
        plugins: ['typescript', 'typescript-resolvers'],
        config: {
          federation: true,
          useIndexSignature: false,
          // GraphQL fills in an input field's default when the field is left out.
          avoidOptionals: { defaultValue: true },
          contextType: '../server#Context',
          mappers: Object.fromEntries(mappedTypes(name).map((type) => [type, `../resolvers/models#${type}Model`])),
          strictScalars: true,
          scalars: { ID: 'string', DateTime: 'Date', _FieldSet: 'string' },
          // Values as a const object with the SDL's spelling, so code can list them
          // (z.enum(LifecycleStatus)) and they read the same as Prisma's enums.
          enumsAsConst: true,
          namingConvention: { enumValues: 'keep' },
          useTypeImports: true,
        },
      },
    ]),
  ),
};

export default config;
