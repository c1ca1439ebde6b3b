import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { userHeaders } from '../test/harness';
import { startProcessPlatform } from '../test/process-platform';

// `npm run bench:faults`: 50 concurrent clients for 30 s against the gateway on loopback; the
// sales subgraph is killed with SIGKILL at 10 s and restarted at 20 s. Never part of CI.
const CLIENTS = Number(process.env.FAULT_CLIENTS ?? 50);
const DURATION_MS = Number(process.env.FAULT_DURATION_MS ?? 30_000);
const KILL_AT_MS = DURATION_MS / 3;
const RESTART_AT_MS = (DURATION_MS * 2) / 3;

const TOUCHES_SALES = '{ customers(first: 10) { nodes { name orders(first: 3) { totalCount } lifetimeValue { amount } } } }';
const AVOIDS_SALES = '{ customers(first: 10) { nodes { name segments { name } campaigns { name } } } }';

type Sample = { touchesSales: boolean; startedAt: number; ms: number; status: number; complete: boolean; breakerOpen: boolean };

function percentile(values: number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)].toFixed(2));
}

async function main() {
  const platform = await startProcessPlatform({ gateway: {} });
  const samples: Sample[] = [];
  let breakerOpen = false;
  let processStartedAt: number | null = null;
  let restartedAt: number | null = null;
  let fullDataAt: number | null = null;
  const start = performance.now();
  const elapsed = () => performance.now() - start;
  try {
    for (let n = 0; n < 20; n++) {
      await fetch(platform.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...(await userHeaders()) }, body: JSON.stringify({ query: `mutation { createCustomer(input: { name: "Fault ${n}" }) { id } }` }) });
    }
    const watchBreaker = setInterval(async () => {
      const ready = (await (await fetch(platform.gatewayUrl.replace('/graphql', '/ready'))).json()) as { dependencies: { sales: { breaker: string } } };
      breakerOpen = ready.dependencies.sales.breaker === 'open';
    }, 100);
    const kill = setTimeout(() => platform.kill('sales').then(() => console.log(`killed sales at ${(elapsed() / 1000).toFixed(1)} s`)), KILL_AT_MS);
    const restart = setTimeout(
      () => {
        processStartedAt = elapsed();
        // start() resolves once the new process answers /ready with 200.
        return platform.start('sales').then(() => {
          restartedAt = elapsed();
          console.log(`restarted sales at ${(processStartedAt! / 1000).toFixed(1)} s, ready at ${(restartedAt / 1000).toFixed(1)} s`);
        });
      },
      RESTART_AT_MS,
    );
    const authorization = await userHeaders();
    const client = async (index: number) => {
      let n = index;
      while (elapsed() < DURATION_MS) {
        const touchesSales = n++ % 2 === 0;
        const startedAt = elapsed();
        const openAtStart = breakerOpen;
        const response = await fetch(platform.gatewayUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...authorization },
          body: JSON.stringify({ query: touchesSales ? TOUCHES_SALES : AVOIDS_SALES }),
        });
        const body = (await response.json().catch(() => ({}))) as { data?: unknown; errors?: unknown[] };
        const complete = response.status === 200 && !!body.data && !body.errors?.length;
        samples.push({ touchesSales, startedAt, ms: elapsed() - startedAt, status: response.status, complete, breakerOpen: openAtStart && breakerOpen });
        if (touchesSales && complete && processStartedAt !== null && fullDataAt === null && startedAt > processStartedAt) fullDataAt = elapsed();
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index)));
    clearInterval(watchBreaker);
    clearTimeout(kill);
    clearTimeout(restart);
  } finally {
    await platform.stop();
  }

  const avoiding = samples.filter((sample) => !sample.touchesSales);
  const whileOpen = samples.filter((sample) => sample.touchesSales && sample.breakerOpen);
  const result = {
    clients: CLIENTS,
    durationS: DURATION_MS / 1000,
    requests: samples.length,
    gateway5xx: samples.filter((sample) => sample.status >= 500).length,
    successRateNotTouchingKilled: Number(((100 * avoiding.filter((sample) => sample.complete).length) / avoiding.length).toFixed(3)),
    p99MsTouchingKilledWhileOpen: percentile(whileOpen.map((sample) => sample.ms), 99),
    requestsWhileOpen: whileOpen.length,
    secondsFromProcessStartToReady: processStartedAt !== null && restartedAt !== null ? Number(((restartedAt - processStartedAt) / 1000).toFixed(2)) : null,
    // Negative when a request sent while the subgraph was warming up already got full data.
    secondsFromReadyToFullData: restartedAt !== null && fullDataAt !== null ? Number(((fullDataAt - restartedAt) / 1000).toFixed(2)) : null,
    secondsFromProcessStartToFullData: processStartedAt !== null && fullDataAt !== null ? Number(((fullDataAt - processStartedAt) / 1000).toFixed(2)) : null,
  };
  console.log(JSON.stringify(result, null, 2));
  writeFileSync(path.join(__dirname, 'results', 'faults.json'), `${JSON.stringify(result, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
