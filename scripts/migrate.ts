import { SUBGRAPH_NAMES, processSettings, type SubgraphName } from '../lib/config';
import { migrateDatabase, startSubgraphEmbeddedDatabase } from '../dev/databases';

// `npm run migrate [-- <subgraph>]`: applies pending migrations to each subgraph's database,
// <SUBGRAPH>_DATABASE_URL when set, otherwise its embedded database under DATA_DIR (.data).
async function main() {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !SUBGRAPH_NAMES.includes(name as SubgraphName));
  if (unknown.length) {
    console.error(`unknown subgraph ${unknown.join(', ')}; expected ${SUBGRAPH_NAMES.join(', ')}`);
    process.exit(2);
  }
  for (const name of wanted.length ? (wanted as SubgraphName[]) : SUBGRAPH_NAMES) {
    const url = processSettings().databaseUrls[name];
    const embedded = url ? null : await startSubgraphEmbeddedDatabase(name);
    try {
      const applied = await migrateDatabase(name, url ?? embedded!.connectionString);
      console.log(`${name}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}${url ? '' : ' (embedded)'}`);
    } finally {
      await embedded?.stop();
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
