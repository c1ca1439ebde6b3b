import { SUBGRAPH_NAMES, processSettings, type SubgraphName } from '../lib/config';
import type { EmbeddedPostgres } from '../dev/embedded-postgres';
import { startSubgraphEmbeddedDatabase } from '../dev/databases';
import { isSeeded, seedDemoData } from '../dev/seed';

// `npm run seed`: demo data into the databases `npm start` would use, if they are empty.
async function main() {
  const embedded: EmbeddedPostgres[] = [];
  try {
    const urls = {} as Record<SubgraphName, string>;
    for (const name of SUBGRAPH_NAMES) {
      const url = processSettings().databaseUrls[name];
      if (url) {
        urls[name] = url;
        continue;
      }
      const database = await startSubgraphEmbeddedDatabase(name);
      embedded.push(database);
      urls[name] = database.connectionString;
    }
    if (await isSeeded(urls)) {
      console.log('The databases already hold customers; nothing seeded.');
      return;
    }
    await seedDemoData(urls);
    console.log('Demo data loaded.');
  } finally {
    for (const database of embedded) await database.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
