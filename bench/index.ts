/**
 * `npm run bench`: runs every benchmark module and prints one table of name, baseline, value and
 * ratio (with the target where there is one). A module that cannot run here says why and
 * the others still run; the exit code is 1 only when a module crashed.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchModule, BenchResult } from './types';

const here = dirname(fileURLToPath(import.meta.url));

async function modules(): Promise<Array<{ name: string; run: BenchModule }>> {
  const list: Array<{ name: string; run: BenchModule }> = [];
  const { benchClone } = await import('./clone');
  list.push({ name: 'clone', run: benchClone });
  // Written by the sandbox work; optional until it lands.
  const sandboxFile = ['sandbox.ts', 'sandbox.js'].map((f) => join(here, f)).find((f) => existsSync(f));
  if (sandboxFile) {
    const mod = (await import(sandboxFile)) as { benchSandbox?: BenchModule };
    if (mod.benchSandbox) list.push({ name: 'sandbox', run: mod.benchSandbox });
  }
  const { benchRepeatRun } = await import('./repeat-run');
  list.push({ name: 'repeat', run: benchRepeatRun });
  const { benchReview } = await import('./review');
  list.push({ name: 'review', run: benchReview });
  const { benchKeychain } = await import('./keychain');
  list.push({ name: 'keychain', run: benchKeychain });
  return list;
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
}

export function renderTable(results: BenchResult[]): string {
  const rows = results.map((r) => [
    r.name,
    r.baseline,
    `${fmt(r.baselineValue)} ${r.unit}`,
    `${fmt(r.value)} ${r.unit}`,
    `${fmt(r.ratio)}×`,
    r.target === undefined ? '' : `≤ ${r.target}× ${r.ratio <= r.target ? 'met' : 'NOT met'}`,
  ]);
  const header = ['name', 'baseline', 'baseline value', 'value', 'ratio', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const notes = results.filter((r) => r.note).map((r) => `  ${r.name}: ${r.note}`);
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    ...(notes.length ? ['', 'notes:', ...notes] : []),
  ].join('\n');
}

async function main() {
  const only = process.argv.slice(2);
  const results: BenchResult[] = [];
  let crashed = false;
  for (const mod of await modules()) {
    if (only.length && !only.includes(mod.name)) continue;
    process.stderr.write(`bench: ${mod.name}…\n`);
    try {
      results.push(...(await mod.run()));
    } catch (error) {
      crashed = true;
      process.stderr.write(
        `bench: ${mod.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    }
  }
  process.stdout.write(renderTable(results) + '\n');
  process.exitCode = crashed ? 1 : 0;
}

await main();
