/** @type {import('jest').Config} */
const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }];

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': swc,
    // The Wasm schema engine's bindings are an ES module; Jest runs CommonJS.
    '/node_modules/@prisma/schema-engine-wasm/.+\\.js$': ['@swc/jest', { module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@prisma/schema-engine-wasm/)'],
  testMatch: ['<rootDir>/{lib,subgraphs,gateway,scripts,test}/**/*.test.ts'],
  testTimeout: 120_000,
  // Integration files each start a platform; two at a time fits a 2-core machine.
  maxWorkers: 2,
};
