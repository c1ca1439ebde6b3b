/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    // Type errors are the type check's job (npm run typecheck); tests only transpile.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    // The Wasm schema engine's bindings are an ES module; Jest runs CommonJS.
    '/node_modules/@prisma/schema-engine-wasm/.+\\.js$': ['ts-jest', { diagnostics: false, tsconfig: { allowJs: true, module: 'commonjs', isolatedModules: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@prisma/schema-engine-wasm/)'],
  testMatch: ['<rootDir>/{lib,subgraphs,gateway,scripts,test}/**/*.test.ts'],
  testTimeout: 120_000,
  // Integration files each start a platform; two at a time fits a 2-core machine.
  maxWorkers: 2,
};
