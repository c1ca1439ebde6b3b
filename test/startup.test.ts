import net from 'node:net';
import { Client } from 'pg';
import { SUBGRAPH_NAMES, type SubgraphName } from '../lib/config';
import { startPlatform } from '../dev/platform';
import { seedOf } from '../dev/subgraphs';
import { expectNoErrors, FREE_PORTS, postGraphQL, userHeaders } from './harness';
import { provisionDatabases, type TestDatabases } from './databases';

// `npm start` as a new user meets it: a taken port is named at once, and the gateway answers
// only once the demo data is in place.
let databases: TestDatabases;
beforeEach(async () => {
  databases = await provisionDatabases();
});
afterEach(() => databases.drop());

async function tablesIn(url: string | undefined): Promise<number> {
  if (!url) return 0;
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'")).rows[0].n;
  } finally {
    await client.end();
  }
}

it('fails on a port in use, naming the port and its variable, before touching any database', async () => {
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  const { port } = squatter.address() as net.AddressInfo;
  try {
    await expect(startPlatform({ databaseUrls: databases.urls, dataDir: null, ports: { ...FREE_PORTS, sales: port } })).rejects.toThrow(
      `Port ${port} is already in use: stop what listens there, or set SALES_PORT to another port`,
    );
    for (const name of SUBGRAPH_NAMES) expect(await tablesIn(databases.urls[name as SubgraphName])).toBe(0);
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
  }
});

it('seeds before the gateway answers, reporting each step', async () => {
  const steps: string[] = [];
  const progress: number[] = [];
  const platform = await startPlatform({
    databaseUrls: databases.urls,
    dataDir: null,
    ports: FREE_PORTS,
    seed: true,
    report: (step) => steps.push(step),
    onSeedProgress: (done) => progress.push(done),
  });
  try {
    const response = await postGraphQL(platform.gatewayUrl, '{ customers { totalCount } products { totalCount } campaigns { totalCount } }', undefined, await userHeaders());
    expectNoErrors(response);
    expect(response.body.data).toEqual({ customers: { totalCount: 600 }, products: { totalCount: 40 }, campaigns: { totalCount: 8 } });
    const tables = SUBGRAPH_NAMES.reduce((sum, name) => sum + seedOf(name).steps, 0);
    expect(progress).toEqual(Array.from({ length: tables }, (_, index) => index + 1));
    expect(tables).toBeGreaterThanOrEqual(12);
    expect(steps).toEqual(expect.arrayContaining(['seeding demo data (first start)', ...SUBGRAPH_NAMES.map((name) => expect.stringMatching(new RegExp(`^${name}: listening on http`)))]));
    expect(steps.indexOf('seeding demo data (first start)')).toBeLessThan(steps.findIndex((step) => step.includes('listening')));
  } finally {
    await platform.stop();
  }
});
