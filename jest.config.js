/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    // Type errors are the type check's job (npm run typecheck); tests only transpile. node16
    // output keeps import() as a real dynamic import for the ES-module-only Prisma engine.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false, tsconfig: { module: 'node16', moduleResolution: 'node16' } }],
  },
  testMatch: ['<rootDir>/{lib,dev,subgraphs,gateway,scripts,test,web}/**/*.test.ts'],
  testTimeout: 120_000,
  // Integration files each start a platform; two at a time fits a 2-core machine.
  maxWorkers: 2,
};
