import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './processes';

type CpuProfile = {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
};

export type Hotspot = { fn: string; location: string; selfMs: number; percent: number };

// The profile node --cpu-prof wrote for the process with this pid.
export function profileOf(dir: string, pid: number): string | undefined {
  const name = readdirSync(dir).find((file) => file.endsWith('.cpuprofile') && file.includes(`.${pid}.`));
  return name && path.join(dir, name);
}

// Self time per function (summed over every call site), the view that shows where a process
// spends its CPU rather than which callers lead there. Idle time between scenarios is left out,
// so percentages are of the time the process was busy.
export function topSelfTime(file: string, count = 15): Hotspot[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frameOf = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, index) => {
    const frame = frameOf.get(id)!;
    if (frame.functionName === '(idle)') return;
    const where = frame.url ? `${path.relative(ROOT, frame.url.replace(/^file:\/\//, ''))}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'}\t${where}`;
    const delta = profile.timeDeltas[index] ?? 0;
    selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
    totalUs += delta;
  });
  return [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, us]) => {
      const [fn, location] = key.split('\t');
      return { fn, location, selfMs: Math.round(us / 1000), percent: Math.round((us / totalUs) * 1000) / 10 };
    });
}
