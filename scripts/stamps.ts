import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// Generation steps (scripts/generate.ts, scripts/build-web.ts) skip what is made from the same
// inputs as last time: the digest of the inputs' names and contents, and of package-lock.json
// (the tools' versions), is kept in a stamp file. `--force` makes everything again.
const root = path.join(__dirname, '..');
const force = process.argv.includes('--force');

// Whether `output` is missing or was made from other inputs than these (the digest in `stamp`);
// if so, returns a function that records these inputs once the output is written.
export function stale(output: string, stamp: string, inputs: readonly string[]): (() => void) | null {
  const hash = createHash('sha256');
  const files = [...new Set([...inputs, 'package-lock.json'].map((input) => path.relative(root, path.resolve(root, input))))].sort();
  for (const file of files) hash.update(file).update(readFileSync(path.join(root, file)));
  const digest = hash.digest('hex');
  const stampFile = path.resolve(root, stamp);
  if (!force && existsSync(path.resolve(root, output)) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === digest) return null;
  return () => writeFileSync(stampFile, digest);
}
