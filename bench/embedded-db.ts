import { startEmbeddedPostgres } from '../dev/embedded-postgres';

// Serves one embedded database in a process of its own: PGlite runs on the thread of the process
// that hosts it, and inside the benchmark it would share that thread with the load generator.
async function main() {
  const database = await startEmbeddedPostgres({ dataDir: process.argv[2] });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    // A clean stop checkpoints, so the next run reopens the data folder without recovery.
    process.once(signal, () => database.stop().then(() => process.exit(0)));
  }
  process.send!(database.connectionString);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
