import { existsSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { processSettings } from '../lib/config';
import { logger } from '../lib/logger';
import { startPlatform } from '../dev/platform';

// `npm start`: the whole platform in one process, on embedded databases unless
// <SUBGRAPH>_DATABASE_URL settings point at real PostgreSQL. Each step of start-up is printed
// with the seconds since start; the gateway listens (and reports ready) once the data is there.
async function main() {
  const startedAt = Date.now();
  const say = (step: string) => console.log(`[${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)} s] ${step}`);
  if (existsSync('.env')) process.loadEnvFile('.env');
  const settings = processSettings();
  say('starting databases and applying migrations');
  const bar = process.stdout.isTTY ? new SingleBar({ format: '        seeding [{bar}] {value}/{total} tables', hideCursor: true }) : null;
  const platform = await startPlatform({
    databaseUrls: settings.databaseUrls,
    ports: settings.ports,
    seed: settings.dev.seed,
    report: say,
    onSeedProgress: (done, total) => {
      if (!bar) return say(`seeded ${done}/${total} tables`);
      if (done === 1) bar.start(total, 0);
      bar.update(done);
      if (done === total) bar.stop();
    },
  });
  say(`gateway: listening on ${platform.gatewayUrl}`);
  const consoleUrl = new URL('/', platform.gatewayUrl).href;
  console.log(`\nFederated CRM is running. Open ${consoleUrl} (the web console) or ${platform.gatewayUrl} (Apollo Sandbox) to explore the graph.`);
  if (!settings.production) console.log('The console signs in as any demo user; Sandbox is signed in as the demo admin, and `npm run -s token -- sales|marketing|viewer` prints tokens for the other demo users.\n');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'stopping');
      platform.stop().then(() => process.exit(0), () => process.exit(1));
    });
  }
}

main().catch((error) => {
  logger.fatal({ err: error }, 'the platform failed to start');
  console.error(`\nThe platform failed to start: ${(error as Error).message}`);
  process.exit(1);
});
