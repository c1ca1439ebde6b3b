import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { GraphQLSchema } from 'graphql';
import { composeSupergraph, subgraphSchemaFile, SUPERGRAPH_FILE } from '../gateway/src/compose';
import { SUBGRAPH_NAMES } from '../lib/config';
import {
  checkChanges,
  declarationFor,
  diffSchemas,
  formatChanges,
  parseAcceptedChanges,
  subgraphSchema,
  supergraphApiSchema,
  type AcceptedChange,
  type SchemaChange,
} from './schema-check-lib';

// `npm run schema:check [-- --base REF]`: the supergraph composes, the committed one is current,
// and every breaking change against REF (default HEAD~1) is declared in schema-changes.json.
const root = path.join(__dirname, '..');
const DECLARATIONS_FILE = path.join(root, 'schema-changes.json');

function baseRef(): string {
  const flag = process.argv.indexOf('--base');
  if (flag !== -1 && process.argv[flag + 1]) return process.argv[flag + 1];
  return process.env.SCHEMA_BASE_REF || 'HEAD~1';
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
  } catch {
    return null;
  }
}

// A first commit, a shallow clone or a new subgraph has no previous version: nothing to break.
const fileAt = (ref: string, file: string) => git(['show', `${ref}:./${path.relative(root, file)}`]);

async function compare(name: string, before: string | null, after: string, build: (sdl: string) => GraphQLSchema): Promise<SchemaChange[]> {
  if (before === null) {
    console.log(`${name}: no previous version, nothing to compare`);
    return [];
  }
  const changes = await diffSchemas(name, build(before), build(after));
  console.log(`${name}: ${changes.length ? `${changes.length} change(s)` : 'no changes'}`);
  return changes;
}

async function main(): Promise<number> {
  const composed = composeSupergraph();
  if ('errors' in composed) {
    console.error(`Composition failed:\n${composed.errors.join('\n')}`);
    return 1;
  }
  let accepted: AcceptedChange[];
  try {
    accepted = existsSync(DECLARATIONS_FILE) ? parseAcceptedChanges(readFileSync(DECLARATIONS_FILE, 'utf8'), 'schema-changes.json') : [];
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
  let failed = false;
  if (readFileSync(SUPERGRAPH_FILE, 'utf8') !== composed.supergraphSdl) {
    console.error('gateway/supergraph.graphql differs from a fresh composition: run `npm run compose` and commit the result.');
    failed = true;
  } else {
    console.log('The supergraph composes and matches gateway/supergraph.graphql.');
  }

  const ref = baseRef();
  const commit = git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])?.trim();
  if (!commit) {
    console.log(`Base ref ${ref} does not exist here (first commit or shallow clone?): no previous versions to compare.`);
    return failed ? 1 : 0;
  }
  console.log(`\nComparing with ${ref} (${commit.slice(0, 12)}):`);
  const changes: SchemaChange[] = [];
  const report = (found: SchemaChange[]) => {
    for (const line of formatChanges(found, accepted)) console.log(`  ${line}`);
    changes.push(...found);
  };
  for (const name of SUBGRAPH_NAMES) {
    const file = subgraphSchemaFile(name);
    report(await compare(name, fileAt(commit, file), readFileSync(file, 'utf8'), subgraphSchema));
  }
  report(await compare('supergraph', fileAt(commit, SUPERGRAPH_FILE), composed.supergraphSdl, supergraphApiSchema));

  const { undeclared, unused } = checkChanges(changes, accepted);
  for (const entry of unused) {
    console.log(`note: declared change ${entry.schema} ${entry.type} ${entry.path} is not in this diff; remove it from schema-changes.json once released.`);
  }
  if (undeclared.length) {
    console.error(
      `\n${undeclared.length} undeclared breaking change(s). If intended, add each to "acceptedBreakingChanges" in schema-changes.json with the reason (see docs/deploy.md):\n` +
        undeclared.map((change) => `  ${declarationFor(change)},`).join('\n'),
    );
    failed = true;
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
