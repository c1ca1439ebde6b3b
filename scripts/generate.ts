import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SUBGRAPH_NAMES } from '../lib/config';

// Generates each subgraph's Prisma Client from its schema, skipping schemas unchanged since
// the last run. The CLI is pointed at an existing file as its schema engine because generate
// never runs that engine and this machine cannot download it.
const root = path.join(__dirname, '..');
const prismaCli = require.resolve('prisma/build/index.js');
const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1' };

for (const name of SUBGRAPH_NAMES) {
  const schema = path.join(root, 'prisma', name, 'schema.prisma');
  const stamp = path.join(root, 'subgraphs', name, 'src', 'generated', 'prisma', '.schema-hash');
  const hash = createHash('sha256').update(readFileSync(schema)).update(readFileSync(path.join(root, 'package-lock.json'))).digest('hex');
  if (!process.argv.includes('--force') && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) continue;
  console.log(`Generating Prisma Client for ${name}`);
  execFileSync(process.execPath, [prismaCli, 'generate', '--schema', schema], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  writeFileSync(stamp, hash);
}
