import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.join(__dirname, '..');
export const RESULTS_DIR = path.join(__dirname, 'results');

const started: ChildProcess[] = [];
let stopping = false;

// Ports held open together until all are known, so that no two of them are the same.
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export type ServiceSpec = {
  name: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  // With ipc the child reports its own address by process.send instead of a readiness URL.
  ipc?: boolean;
  // Where it runs; the repository by default.
  cwd?: string;
};

// Starts a Node child process whose output goes to bench/results/<name>.log, so warnings under
// load neither interleave with the progress bars nor get lost. Detached, so that Ctrl-C reaches
// only the benchmark, which then stops its children in order instead of all at once.
export function startProcess(spec: ServiceSpec): ChildProcess {
  const log = openSync(path.join(RESULTS_DIR, `${spec.name}.log`), 'w');
  const child = spawn(process.execPath, spec.args, {
    cwd: spec.cwd ?? ROOT,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', log, log, ...(spec.ipc ? ['ipc' as const] : [])],
    detached: true,
  });
  closeSync(log);
  started.push(child);
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`${spec.name} exited unexpectedly (${signal ?? code}); see bench/results/${spec.name}.log`);
  });
  return child;
}

function exitError(name: string, child: ChildProcess): Error {
  return new Error(`${name} exited (${child.signalCode ?? child.exitCode}) before it was ready; see bench/results/${name}.log`);
}

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

export async function waitReady(name: string, child: ChildProcess, url: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited(child)) throw exitError(name, child);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${name} was not ready at ${url} within ${timeoutMs / 1000} s; see bench/results/${name}.log`);
}

export function firstMessage<T>(name: string, child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = () => reject(exitError(name, child));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as T);
    });
  });
}

// Stops children newest first (gateways, then subgraphs, then databases). SIGTERM lets each one
// drain and exit cleanly, which also writes the gateway's CPU profile; SIGKILL is the fallback.
export async function stopAll(): Promise<void> {
  stopping = true;
  for (const child of [...started].reverse()) {
    if (hasExited(child)) continue;
    const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exit;
    clearTimeout(timer);
  }
}

// Last resort when the benchmark itself exits abruptly.
process.once('exit', () => {
  for (const child of started) if (!hasExited(child)) child.kill('SIGKILL');
});
