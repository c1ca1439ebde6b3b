/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  testMatch: ['<rootDir>/{lib,subgraphs,gateway,scripts,test}/**/*.test.ts'],
  testTimeout: 120_000,
  // Integration files each start a platform; two at a time fits a 2-core machine.
  maxWorkers: 2,
};
