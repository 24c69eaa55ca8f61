/**
 * `BENCH_REVIEW_PROFILE=DIR npm run bench review`: one more cold load of each kind (a head main has
 * diffed before, a head diffed the first time) with a Chromium trace and main's CPU profile, written
 * to DIR, and a timeline of both printed: where the cold review's time goes, by process, in the same
 * clock (V8's profile and Chromium's trace both count in the system's monotonic microseconds).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import type { Browser, Page } from '@playwright/test';

const SLOT_MS = 50;

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { data?: { url?: string; frame?: string; requestId?: string }; name?: string };
}

/** What a sample is doing, coarsely: whose code, or the engine's own work. */
function kindOf(fn: string, url: string): string {
  if (fn === '(idle)') return 'idle';
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(program)' || fn === '(root)') return 'native';
  if (url.includes('/tools/gitlab-standin/')) return 'stand-in';
  if (url.includes('/test/')) return 'harness';
  if (/node_modules\/zod\//.test(url)) return 'zod';
  if (url.includes('/src-main/web-host/')) return 'web-host';
  if (url.includes('/src-main/')) return `app:${url.replace(/.*\/src-main\//, '').replace(/\.ts$/, '')}`;
  if (url.startsWith('node:')) return url.replace(/^node:/, 'node:').replace(/^node:internal\//, 'node:');
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  return m?.[1] ?? (url ? 'other' : 'native');
}

/** Main's busy time per slot from navigation start, with its three largest kinds. */
function mainTimeline(profile: CpuProfile, navStartUs: number, endUs: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const slots = new Map<number, Map<string, number>>();
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    if (t < navStartUs || t > endUs) return;
    const node = byId.get(id);
    if (!node) return;
    const kind = kindOf(node.callFrame.functionName, node.callFrame.url);
    if (kind === 'idle') return;
    const slot = Math.floor((t - navStartUs) / 1000 / SLOT_MS);
    const m = slots.get(slot) ?? new Map<string, number>();
    m.set(kind, (m.get(kind) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    slots.set(slot, m);
  });
  return [...slots.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([slot, m]) => {
      const total = [...m.values()].reduce((a, b) => a + b, 0);
      const top = [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([k, ms]) => `${k} ${ms.toFixed(0)}`)
        .join(', ');
      return `  main ${String(slot * SLOT_MS).padStart(5)} ms: busy ${total.toFixed(0).padStart(3)} ms (${top})`;
    });
}

/** Main's busy time by function over the load (self time), the largest first. */
function mainTop(profile: CpuProfile, navStartUs: number, endUs: number, n = 25): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const fns = new Map<string, number>();
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    if (t < navStartUs || t > endUs) return;
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') return;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anon)'} ${url.replace(/.*\/(node_modules|src-main|tools|test|src-shared)\//, '$1/')}:${lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...fns.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, ms]) => `  main self ${ms.toFixed(1).padStart(6)} ms  ${k}`);
}

/** The page's resource requests (sent → finished) and the renderer main thread's long tasks. */
function pageTimeline(events: TraceEvent[], navStartUs: number, endUs: number): string[] {
  const out: string[] = [];
  const rel = (ts: number) => ((ts - navStartUs) / 1000).toFixed(0).padStart(5);
  const sent = new Map<string, { ts: number; url: string }>();
  const requests: string[] = [];
  for (const e of events) {
    const d = e.args?.data;
    if (e.name === 'ResourceSendRequest' && d?.requestId && d.url) sent.set(d.requestId, { ts: e.ts, url: d.url });
    if (e.name === 'ResourceFinish' && d?.requestId) {
      const s = sent.get(d.requestId);
      if (s && s.ts >= navStartUs)
        requests.push(`  req ${rel(s.ts)} → ${rel(e.ts)} ms  ${s.url.replace(/^https?:\/\/[^/]+/, '').slice(0, 70)}`);
    }
  }
  out.push(...requests);
  // The renderer's main thread: the thread with the most RunTask time in the window.
  const tasks = events.filter((e) => e.ph === 'X' && e.name === 'RunTask' && e.ts >= navStartUs && e.ts <= endUs);
  const byThread = new Map<string, number>();
  for (const e of tasks) byThread.set(`${e.pid}:${e.tid}`, (byThread.get(`${e.pid}:${e.tid}`) ?? 0) + (e.dur ?? 0));
  const names = new Map<string, string>();
  for (const e of events)
    if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name) names.set(`${e.pid}:${e.tid}`, e.args.name);
  const rendererMain = [...byThread.entries()]
    .filter(([k]) => names.get(k) === 'CrRendererMain')
    .sort((a, b) => b[1] - a[1])[0]?.[0];
  for (const [k, us] of [...byThread.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8))
    out.push(`  thread ${names.get(k) ?? k} (${k}): busy ${(us / 1000).toFixed(0)} ms in RunTask`);
  if (rendererMain) {
    const [pid, tid] = rendererMain.split(':').map(Number);
    const mine = events.filter(
      (e) => e.pid === pid && e.tid === tid && e.ph === 'X' && e.ts >= navStartUs && e.ts <= endUs,
    );
    for (const task of mine.filter((e) => e.name === 'RunTask' && (e.dur ?? 0) > 8000)) {
      const end = task.ts + (task.dur ?? 0);
      const inner = new Map<string, number>();
      for (const e of mine)
        if (e !== task && e.ts >= task.ts && e.ts < end && e.name !== 'RunTask')
          inner.set(e.name, (inner.get(e.name) ?? 0) + (e.dur ?? 0));
      const top = [...inner.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([n, us]) => `${n} ${(us / 1000).toFixed(0)}`)
        .join(', ');
      out.push(`  task ${rel(task.ts)} ms +${((task.dur ?? 0) / 1000).toFixed(0)} ms: ${top}`);
    }
  }
  return out;
}

const CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'loading',
  'blink.user_timing',
  'v8.execute',
  'toplevel',
  'netlog',
  'navigation',
].join(',');

/**
 * Runs `load` (one cold page load that resolves when the first diff row is painted) with main's
 * CPU profile and a Chromium trace, writes both under `dir` as NAME.cpuprofile and NAME.trace.json
 * and returns the printed timeline.
 */
export async function profiledLoad(
  browser: Browser,
  page: Page,
  dir: string,
  name: string,
  load: () => Promise<{ painted: number }>,
  rendererDir?: string,
): Promise<string[]> {
  // The page's JavaScript, sampled: the renderer process stays across same-origin loads in one tab.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  await browser.startTracing(page, { categories: CATEGORIES.split(',') });
  const navStartUs = Number(process.hrtime.bigint() / 1000n);
  const marks = await load();
  const endUs = Number(process.hrtime.bigint() / 1000n);
  const trace = await browser.stopTracing();
  const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
  session.disconnect();
  const { profile: pageProfile } = (await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile };
  await cdp.detach();
  await writeFile(join(dir, `${name}.page.cpuprofile`), JSON.stringify(pageProfile));
  await writeFile(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
  await writeFile(join(dir, `${name}.trace.json`), trace);
  const events = (JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
  // The page's own navigation start, when the trace has it, is the zero of both timelines.
  const nav = events.find((e) => e.name === 'navigationStart' && e.ts >= navStartUs - 5_000_000)?.ts ?? navStartUs;
  return [
    `${name}: painted ${Math.round(marks.painted)} ms (page clock); trace zero ${((nav - navStartUs) / 1000).toFixed(0)} ms after goto`,
    ...mainTimeline(profile, nav, endUs),
    ...mainTop(profile, nav, endUs),
    ...pageTimeline(events, nav, endUs),
    ...(await pageTop(pageProfile, rendererDir)),
  ];
}

/** The page's JavaScript by function (self time, source-mapped to src-renderer where the maps are at hand). */
async function pageTop(profile: CpuProfile, rendererDir: string | undefined, n = 30): Promise<string[]> {
  const maps = new Map<string, TraceMap | undefined>();
  const mapOf = async (url: string) => {
    if (!rendererDir || !/\/assets\/[^/?#]+\.js/.test(url)) return undefined;
    const file = /\/assets\/[^/?#]+\.js/.exec(url)?.[0] ?? '';
    if (!maps.has(file))
      maps.set(
        file,
        await readFile(join(rendererDir, `${file}.map`), 'utf8').then(
          (text) => new TraceMap(text),
          () => undefined,
        ),
      );
    return maps.get(file);
  };
  const fns = new Map<string, number>();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const names = new Map<number, string>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const col = (node.callFrame as { columnNumber?: number }).columnNumber ?? 0;
    const map = await mapOf(url);
    const pos = map && lineNumber >= 0 ? originalPositionFor(map, { line: lineNumber + 1, column: col }) : undefined;
    names.set(
      node.id,
      pos?.source
        ? `${pos.name ?? functionName ?? '(anon)'} ${pos.source.replace(/.*\/(node_modules|src-renderer|src-shared)\//, '$1/')}:${pos.line}`
        : `${functionName || '(anon)'} ${url.replace(/^https?:\/\/[^/]+/, '')}`,
    );
  }
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') return;
    const key = names.get(id) ?? '?';
    fns.set(key, (fns.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...fns.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, ms]) => `  page self ${ms.toFixed(1).padStart(6)} ms  ${k}`);
}
