import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where a V8 CPU profile spent its time, grouped by package and by function (self time). */
export interface ProfileSummary {
  totalMs: number;
  byPackage: Array<{ name: string; ms: number }>;
  byFunction: Array<{ name: string; ms: number }>;
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

function packageOf(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'garbage collection';
  if (fn === '(idle)' || fn === '(program)' || fn === '(root)')
    return fn === '(idle)' ? 'idle (waiting on I/O)' : 'V8 / native';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  // Our own worker bundle (dev and tests) lives in node_modules/.cache.
  if (m?.[1]) return m[1] === '.cache' ? 'coSPEC' : m[1];
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/src-main/')) return 'coSPEC';
  return url ? 'other' : 'V8 / native';
}

/**
 * Node writes one profile per thread; the clone's work is in the busiest one (the worker thread of
 * the isomorphic-git path), so that is the one summarised.
 */
export async function summariseProfile(dir: string): Promise<ProfileSummary | undefined> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  let best: { summary: ProfileSummary; busyMs: number } | undefined;
  for (const file of files) {
    const summary = summarise(JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile);
    const idle = summary.byPackage.find((p) => p.name.startsWith('idle'))?.ms ?? 0;
    const busyMs = summary.totalMs - idle;
    if (!best || busyMs > best.busyMs) best = { summary, busyMs };
  }
  return best?.summary;
}

function summarise(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const pkg = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node) return;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const p = packageOf(url, functionName);
    pkg.set(p, (pkg.get(p) ?? 0) + us);
    const where = url.startsWith('node:') ? url.slice(5) : p;
    const fname = `${functionName || '(anonymous)'} [${where}${url.includes('node_modules') || url.startsWith('node:') ? `:${lineNumber + 1}` : ''}]`;
    fns.set(fname, (fns.get(fname) ?? 0) + us);
  });
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000 }));
  return { totalMs: total / 1000, byPackage: top(pkg, 10), byFunction: top(fns, 12) };
}
