import { existsSync } from 'node:fs';
import { SUBGRAPH_NAMES, databaseUrl, isProduction, servicePort, type SubgraphName } from '../lib/config';
import { logger } from '../lib/logger';
import { startPlatform } from '../lib/platform';
import { isSeeded, seedDemoData } from '../lib/seed';

// `npm start`: the whole platform in one process, on embedded databases unless
// <SUBGRAPH>_DATABASE_URL settings point at real PostgreSQL.
async function main() {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const databaseUrls: Partial<Record<SubgraphName, string>> = {};
  for (const name of SUBGRAPH_NAMES) {
    const url = databaseUrl(name);
    if (url) databaseUrls[name] = url;
  }
  const platform = await startPlatform({
    databaseUrls,
    ports: { gateway: servicePort('gateway'), customer: servicePort('customer'), sales: servicePort('sales'), marketing: servicePort('marketing') },
  });
  if (process.env.SEED !== 'false' && !(await isSeeded(platform.databaseUrls.customer))) {
    logger.info('seeding demo data (first start)');
    await seedDemoData(platform.databaseUrls);
  }
  console.log(`\nFederated CRM is running. Open ${platform.gatewayUrl} (Apollo Sandbox) to explore the graph.`);
  if (!isProduction()) console.log('Sandbox is signed in as the demo admin; `npm run token -- sales|marketing|viewer` prints tokens for the other demo users.\n');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'stopping');
      platform.stop().then(() => process.exit(0), () => process.exit(1));
    });
  }
}

main().catch((error) => {
  logger.fatal({ err: error }, 'the platform failed to start');
  process.exit(1);
});
