import type { CodegenConfig } from '@graphql-codegen/cli';
import { SUBGRAPH_NAMES, type SubgraphName } from './lib/config';

// Resolver types for each subgraph from its own SDL file (never a running server), written
// next to its Prisma Client. Paths inside `config` are module paths from the generated file.
const CONTEXT_TYPES: Record<SubgraphName, string> = {
  customer: '../server#CustomerContext',
  sales: '../server#SalesContext',
  marketing: '../server#MarketingContext',
};

// What a resolver receives as its parent where that is not the GraphQL type itself: a Prisma
// row, a connection from lib/pagination.ts, or the reference the gateway sends for another
// subgraph's entity. The types are named in each subgraph's resolvers/models.ts.
const MAPPED_TYPES: Record<SubgraphName, string[]> = {
  customer: ['Customer', 'Contact', 'Interaction', 'CustomerConnection', 'ContactConnection', 'InteractionConnection'],
  sales: ['Customer', 'Campaign', 'Product', 'Order', 'OrderItem', 'Opportunity', 'ProductConnection', 'OrderConnection', 'OpportunityConnection'],
  marketing: [
    'Customer',
    'Order',
    'Segment',
    'Campaign',
    'CampaignMember',
    'CampaignResponse',
    'SegmentConnection',
    'CampaignConnection',
    'CampaignMemberConnection',
    'CampaignResponseConnection',
  ],
};

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
          contextType: CONTEXT_TYPES[name],
          mappers: Object.fromEntries(MAPPED_TYPES[name].map((type) => [type, `../resolvers/models#${type}Model`])),
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
