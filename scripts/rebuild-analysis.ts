import { loadSettings } from '../lib/config';
import { connectDatabase } from '../lib/db';
import { connectTransport } from '../lib/events/runtime';
import { rebuildAnalysis } from '../subgraphs/marketing/src/analysis';
import { PrismaClient } from '../subgraphs/marketing/src/generated/prisma/client';

// `npm run rebuild:analysis`: empties marketing's customer analysis and replays every order
// event in the stream into it (subgraphs/marketing/src/analysis.ts), then prints what it did.
// The stream is NATS JetStream's: without NATS_URL the events only live in a running platform's
// in-process broker, and an empty broker here would leave the analysis empty.
async function main() {
  const settings = loadSettings();
  const databaseUrl = settings.databaseUrls.marketing;
  const missing = [databaseUrl ? null : 'MARKETING_DATABASE_URL', settings.events.natsUrl ? null : 'NATS_URL'].filter(Boolean);
  if (missing.length) {
    console.error(`rebuild:analysis needs ${missing.join(' and ')} (the marketing database, and the NATS server that holds the order events)`);
    process.exit(2);
  }
  const database = connectDatabase(PrismaClient, databaseUrl!, settings.database);
  const transport = await connectTransport(settings, 'marketing-analysis-rebuild');
  try {
    const result = await rebuildAnalysis(database.prisma, transport);
    console.log(
      `Replayed ${result.replayed} order events (${result.applied} applied, ${result.skipped} unreadable skipped): ` +
        `${result.orders} orders, ${result.statistics} customer-currency statistics.`,
    );
  } finally {
    await transport.close();
    await database.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
