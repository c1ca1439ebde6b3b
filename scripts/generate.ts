import { execFileSync } from 'node:child_process';
import path from 'node:path';
import codegenConfig, { generatedFile, modelsFile, schemaFile } from '../codegen';
import { stale } from './stamps';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/config';

// Generates each subgraph's Prisma Client from its Prisma schema and its resolver types from
// its SDL, skipping inputs unchanged since the last run. The Prisma CLI is pointed at an
// existing file as its schema engine because generate never runs that engine and this machine
// cannot download it.
const root = path.join(__dirname, '..');
const prismaCli = require.resolve('prisma/build/index.js');
const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1' };

async function main() {
  const staleTypes: { name: SubgraphName; done: () => void }[] = [];
  for (const name of SUBGRAPH_NAMES) {
    const generated = path.join(root, 'subgraphs', name, 'src', 'generated');
    const schema = path.join('prisma', name, 'schema.prisma');
    const prismaDone = stale(path.join(generated, 'prisma'), path.join(generated, 'prisma', '.schema-hash'), [schema]);
    if (prismaDone) {
      console.log(`Generating Prisma Client for ${name}`);
      execFileSync(process.execPath, [prismaCli, 'generate', '--schema', path.join(root, schema)], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
      prismaDone();
    }
    const typesDone = stale(path.join(root, generatedFile(name)), path.join(generated, '.graphql-hash'), [schemaFile(name), modelsFile(name), 'codegen.ts']);
    if (typesDone) staleTypes.push({ name, done: typesDone });
  }
  if (staleTypes.length === 0) return;
  console.log(`Generating resolver types for ${staleTypes.map(({ name }) => name).join(', ')}`);
  // Loaded only when needed: the code generator takes a second to import.
  const { generate } = await import('@graphql-codegen/cli');
  const outputs = new Set(staleTypes.map(({ name }) => generatedFile(name)));
  const generates = Object.fromEntries(Object.entries(codegenConfig.generates).filter(([output]) => outputs.has(output)));
  await generate({ ...codegenConfig, generates, cwd: root }, true);
  for (const { done } of staleTypes) done();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
