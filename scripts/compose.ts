import { readFileSync, writeFileSync } from 'node:fs';
import { composeSupergraph, SUPERGRAPH_FILE } from '../gateway/src/compose';

// `npm run compose` writes the supergraph; `npm run compose -- --check` fails when the
// committed file differs from a fresh composition.
const result = composeSupergraph();
if ('errors' in result) {
  console.error(`Composition failed:\n${result.errors.join('\n')}`);
  process.exit(1);
}
if (process.argv.includes('--check')) {
  const committed = readFileSync(SUPERGRAPH_FILE, 'utf8');
  if (committed !== result.supergraphSdl) {
    console.error('gateway/supergraph.graphql is out of date: run `npm run compose` and commit the result.');
    process.exit(1);
  }
  console.log('gateway/supergraph.graphql matches a fresh composition.');
} else {
  writeFileSync(SUPERGRAPH_FILE, result.supergraphSdl);
  console.log(`Wrote ${SUPERGRAPH_FILE}`);
}
