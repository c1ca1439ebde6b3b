import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LOAD, Measurement } from './measure';
import type { Hotspot } from './profile';

const HIVE_VERSION = (require('@graphql-hive/gateway/package.json') as { version: string }).version;

const COLUMNS: [string, (row: Measurement) => string | number][] = [
  ['Scenario', (row) => row.scenario],
  ['Gateway', (row) => row.gateway],
  ['Page size', (row) => row.pageSize],
  ['Connections', (row) => row.connections],
  ['Round', (row) => row.round],
  ['req/s', (row) => row.rps.toFixed(1)],
  ['p50 ms', (row) => row.p50Ms.toFixed(1)],
  ['p95 ms', (row) => row.p95Ms.toFixed(1)],
  ['p99 ms', (row) => row.p99Ms.toFixed(1)],
  ['SQL statements/request', (row) => row.sqlStatementsPerRequest],
  ['Subgraph fetches/request', (row) => row.subgraphFetchesPerRequest],
  ['Failed', (row) => row.failedRequests],
];

export function markdownTable(rows: Measurement[]): string {
  const lines = [COLUMNS.map(([title]) => title), COLUMNS.map(([title]) => (title === 'Scenario' || title === 'Gateway' ? '---' : '---:'))];
  for (const row of rows) lines.push(COLUMNS.map(([, cell]) => String(cell(row))));
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

export function hotspotTable(hotspots: Hotspot[]): string {
  const lines = ['| Function | Location | Self ms | Self % |', '| --- | --- | ---: | ---: |'];
  for (const spot of hotspots) lines.push(`| ${spot.fn} | ${spot.location || '(native)'} | ${spot.selfMs} | ${spot.percent} |`);
  return lines.join('\n');
}

export type RunInfo = {
  database: string;
  customers: number;
  orderLines: number;
  loadSeconds: number;
  reused: boolean;
  runSeconds: number;
  // Other work on the machine skews every number; this shows how busy it was.
  loadAverage: number[];
  gatewaySettings: string;
  load: typeof LOAD;
};

function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

export function writeResults(dir: string, rows: Measurement[], info: RunInfo, profile?: { process: string; file: string; hotspots: Hotspot[] }): void {
  writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify(rows, null, 2)}\n`);
  const { load } = info;
  const sections = [
    '# Benchmark results (`npm run bench`)',
    [
      `- Date: ${new Date().toISOString()}`,
      `- Machine: ${machine()}; load average ${info.loadAverage.map((value) => value.toFixed(1)).join(', ')} before the scenarios`,
      `- Database: ${info.database}`,
      `- Data: ${info.customers.toLocaleString('en')} customers, ${info.orderLines.toLocaleString('en')} order lines (${info.reused ? 'reused from an earlier run' : `loaded in ${info.loadSeconds.toFixed(0)} s`})`,
      `- Load: autocannon, ${load.connections} connections unless the table says otherwise, POST with variables; each row is about ${load.durationSeconds} s of requests (at most ${load.maxRequests}) after a warm-up of about ${load.warmupSeconds} s; each request starts its page after a different one of the first 1000 customers; the scenarios took ${info.runSeconds.toFixed(0)} s`,
      `- Processes: three subgraphs, crm-gateway (${info.gatewaySettings}) and Hive Gateway ${HIVE_VERSION} (one process), each a Node process with NODE_ENV=production, plus the database and the load generator, all on this machine over loopback.`,
    ].join('\n'),
    markdownTable(rows),
    ...(profile ? [`## ${profile.process} CPU profile: top self time\n\nFrom \`${path.basename(profile.file)}\`, busy time only.`, hotspotTable(profile.hotspots)] : []),
  ];
  writeFileSync(path.join(dir, 'latest.md'), `${sections.join('\n\n')}\n`);
}
