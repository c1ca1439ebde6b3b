import type { CodegenConfig } from '@graphql-codegen/cli';

// The console's operations, typed from the API schema of the committed supergraph (what the
// gateway serves), which scripts/build-web.ts prints to src/generated/schema.graphql.
const config: CodegenConfig = {
  overwrite: true,
  silent: true,
  ignoreNoDocuments: true,
  schema: 'web/src/generated/schema.graphql',
  documents: ['web/src/**/*.{ts,tsx}', '!web/src/generated/**', '!web/src/**/*.test.ts'],
  generates: {
    'web/src/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        strictScalars: true,
        scalars: { DateTime: 'string', ID: 'string' },
        useTypeImports: true,
        skipTypename: false,
      },
    },
  },
};

export default config;
