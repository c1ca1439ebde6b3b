import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { printSchema } from 'graphql';
import { SUPERGRAPH_FILE, withoutSecurityFeatures } from '../gateway/src/compose';
import { stale } from './stamps';

// `npm run build:web`: the web console's operation types (GraphQL Code Generator's client
// preset over the committed supergraph's API schema, what clients can query) and its Vite
// build in web/dist, which the gateway serves. Skips what is unchanged since the last run;
// `--types` stops after the types (for the type check).
const root = path.join(__dirname, '..');
const web = path.join(root, 'web');
const generated = path.join(web, 'src', 'generated');
const CONSOLE_BUILD = path.join(web, 'dist');

// The files a step reads; not the stamps this script writes (`.…-hash`), nor its outputs.
function sourcesOf(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const file = path.join(dir, entry);
    if (entry === 'generated' || entry === 'dist' || entry === 'node_modules' || entry.endsWith('-hash')) return [];
    return statSync(file).isDirectory() ? sourcesOf(file) : [file];
  });
}

// Runs `make` unless `output` exists and was made from these inputs.
async function unlessUnchanged(output: string, stamp: string, inputs: string[], make: () => Promise<void>): Promise<void> {
  const done = stale(output, stamp, inputs);
  if (!done) return;
  await make();
  done();
}

async function main() {
  mkdirSync(generated, { recursive: true });
  const apiSchemaFile = path.join(generated, 'schema.graphql');
  await unlessUnchanged(apiSchemaFile, path.join(generated, '.schema-hash'), [SUPERGRAPH_FILE], async () => {
    const supergraph = Supergraph.build(withoutSecurityFeatures(readFileSync(SUPERGRAPH_FILE, 'utf8')));
    writeFileSync(apiSchemaFile, printSchema(supergraph.apiSchema().toGraphQLJSSchema()));
  });
  const sources = sourcesOf(path.join(web, 'src'));
  await unlessUnchanged(path.join(generated, 'graphql.ts'), path.join(generated, '.operations-hash'), [apiSchemaFile, path.join(web, 'codegen.ts'), ...sources], async () => {
    console.log('Generating the web console\'s operation types');
    const [{ generate }, { default: config }] = await Promise.all([import('@graphql-codegen/cli'), import('../web/codegen')]);
    await generate({ ...config, cwd: root }, true);
  });
  if (process.argv.includes('--types')) return;
  // The stamp is kept in the build, so a deleted or emptied web/dist is built again.
  await unlessUnchanged(path.join(CONSOLE_BUILD, 'index.html'), path.join(CONSOLE_BUILD, '.build-hash'), [...sourcesOf(web), ...sourcesOf(generated)], async () => {
    console.log('Building the web console');
    const vite = path.join(path.dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
    execFileSync(process.execPath, [vite, 'build', '--config', path.join(web, 'vite.config.mts'), '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
