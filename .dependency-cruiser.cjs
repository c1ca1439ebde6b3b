// `npm run check:layers`: the layers only point down, and nothing imports in a circle.
//   lib/        shared runtime code of the services: imports none of the folders that use it
//   gateway/    the gateway's runtime: lib/ only (it reads subgraph schemas as files, never imports them)
//   subgraphs/  each subgraph's runtime: lib/ and its own folder only
//   dev/        development tooling (in-process platform, embedded databases, migrations, seeding)
//   web/        the web console: a client of the graph, over HTTP only; imports nothing of the platform
//   scripts/, bench/, test/: tools on top of everything
const tests = '\\.test\\.ts$';

module.exports = {
  forbidden: [
    // A cycle through type-only imports changes no load order.
    { name: 'no-circular', severity: 'error', comment: 'Import cycles make load order and layering unclear.', from: {}, to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } } },
    {
      name: 'lib-is-the-ground-floor',
      severity: 'error',
      comment: 'lib/ is shared runtime code and imports nothing from the folders that use it.',
      from: { path: '^lib/', pathNot: tests },
      to: { path: '^(gateway|subgraphs|dev|scripts|bench|test)/' },
    },
    {
      name: 'runtime-needs-no-tooling',
      severity: 'error',
      comment: 'Services run without development tooling, scripts, benchmarks or tests.',
      from: { path: '^(gateway|subgraphs)/', pathNot: tests },
      to: { path: '^(dev|scripts|bench|test)/' },
    },
    {
      name: 'gateway-imports-no-subgraph',
      severity: 'error',
      comment: 'The gateway knows subgraphs only through the supergraph.',
      from: { path: '^gateway/' },
      to: { path: '^subgraphs/' },
    },
    {
      name: 'subgraphs-import-no-other-subgraph',
      severity: 'error',
      comment: 'A subgraph reaches another only over GraphQL, never through its code or database.',
      from: { path: '^subgraphs/([^/]+)/' },
      to: { path: '^subgraphs/', pathNot: '^subgraphs/$1/' },
    },
    {
      name: 'loaders-read-no-inputs',
      severity: 'error',
      comment: 'Input checks happen at the edge (service functions, resolvers); loaders apply rules to rows.',
      from: { path: '^subgraphs/[^/]+/src/loaders\\.ts$' },
      to: { path: '^subgraphs/[^/]+/src/inputs\\.ts$' },
    },
    {
      name: 'web-is-a-client',
      severity: 'error',
      comment: 'The web console knows the platform only through the graph (its generated types), as any client team would.',
      from: { path: '^web/' },
      to: { path: '^(lib|gateway|subgraphs|dev|scripts|bench|test)/' },
    },
    {
      name: 'nothing-imports-the-console',
      severity: 'error',
      comment: 'The console runs in browsers; the services serve its built files, never its code.',
      from: { path: '^(lib|gateway|subgraphs|dev)/' },
      to: { path: '^web/' },
    },
    {
      name: 'dev-serves-no-tests',
      severity: 'error',
      comment: 'Development tooling is used by tests and scripts, not the other way round.',
      from: { path: '^dev/', pathNot: tests },
      to: { path: '^(scripts|bench|test)/' },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)generated/' },
  },
};
