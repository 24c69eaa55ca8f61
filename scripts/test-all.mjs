#!/usr/bin/env node
// `npm test`: installs what the suites need from the system's package manager (idempotent),
// then runs lint, type-check, unit, integration, UI and Electron suites, and prints one closing
// line with the test counts. Any failing step fails the whole run, but every step still runs so
// one report shows everything that is broken.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const reports = join(root, 'test-results', 'reports');
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

const only = process.argv.slice(2); // e.g. `npm test -- unit ui` runs a subset
const steps = [];
const totals = { passed: 0, failed: 0, skipped: 0 };

function run(name, command, args, { env = {}, counts } = {}) {
  if (only.length && !only.includes(name)) return;
  const started = Date.now();
  process.stdout.write(`\n━━ ${name}: ${[command, ...args].join(' ')}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const ok = result.status === 0;
  const c = counts?.();
  if (c) {
    totals.passed += c.passed;
    totals.skipped += c.skipped;
    // A runner that failed outside any test (a crash, a config error) still counts as a failure.
    totals.failed += c.failed || (ok ? 0 : 1);
  } else {
    totals[ok ? 'passed' : 'failed'] += 1; // a step without a test report counts as one check
  }
  steps.push({ name, ok, seconds: Math.round((Date.now() - started) / 1000) });
}

function readReport(file) {
  const path = join(reports, file);
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}
const vitestCounts = (file) => () => {
  const r = readReport(file);
  return (
    r && { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + (r.numTodoTests ?? 0) }
  );
};
const playwrightCounts = (file) => () => {
  const s = readReport(file)?.stats;
  return s && { passed: s.expected + (s.flaky ?? 0), failed: s.unexpected, skipped: s.skipped };
};

const withKeyring = (args) => ['bash', ['scripts/with-keyring.sh', ...args]];

run('setup', 'bash', ['scripts/setup-system.sh']);
run('format', 'npx', ['prettier', '--check', '.']);
run('lint', 'npx', ['eslint', '.', '--max-warnings=0']);
run('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
run(
  'unit',
  'npx',
  [
    'vitest',
    'run',
    '--project',
    'unit',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${join(reports, 'unit.json')}`,
  ],
  {
    counts: vitestCounts('unit.json'),
  },
);
run(
  'integration',
  ...withKeyring([
    'npx',
    'vitest',
    'run',
    '--project',
    'integration',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${join(reports, 'integration.json')}`,
  ]),
  { counts: vitestCounts('integration.json') },
);
run('ui', ...withKeyring(['npx', 'playwright', 'test', '-c', 'test/ui/playwright.config.ts', '--reporter=list,json']), {
  env: { PLAYWRIGHT_JSON_OUTPUT_NAME: join(reports, 'ui.json') },
  counts: playwrightCounts('ui.json'),
});
run('electron', 'npx', ['playwright', 'test', '-c', 'test/electron/playwright.config.ts', '--reporter=list,json'], {
  env: { PLAYWRIGHT_JSON_OUTPUT_NAME: join(reports, 'electron.json') },
  counts: playwrightCounts('electron.json'),
});

// CI shows only the tail of this output, so the failing tests are named here, last.
function failedTests() {
  const names = [];
  for (const file of ['unit.json', 'integration.json']) {
    for (const suite of readReport(file)?.testResults ?? []) {
      const path = suite.name.replace(root, '');
      for (const t of suite.assertionResults ?? []) {
        if (t.status === 'failed') names.push(`${path} › ${t.fullName}: ${firstLine(t.failureMessages?.[0])}`);
      }
      if (suite.status === 'failed' && !(suite.assertionResults ?? []).length) {
        names.push(`${path}: ${firstLine(suite.message)}`);
      }
    }
  }
  const walk = (suite, path) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) {
        if (t.status === 'unexpected') {
          const error = t.results?.at(-1)?.error?.message;
          names.push(`${spec.file ?? path} › ${spec.title}: ${firstLine(error)}`);
        }
      }
    }
    for (const child of suite.suites ?? []) walk(child, suite.file ?? path);
  };
  for (const file of ['ui.json', 'electron.json']) for (const s of readReport(file)?.suites ?? []) walk(s, s.file);
  return names;
}
function firstLine(text) {
  const line =
    String(text ?? '')
      .replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '')
      .split('\n')
      .find((l) => l.trim()) ?? '';
  return line.trim().slice(0, 300);
}

/*
 * When something failed, the state of the machine it failed on, in one line that the tail of the
 * output keeps: a full disk, exhausted memory or a container engine that stopped answering fail
 * many unrelated tests at once (keychain writes, clones, sandbox runs), and that is the first thing
 * to rule out.
 */
function machineLine() {
  const free = (path) => {
    const r = spawnSync('df', ['-Pk', path], { encoding: 'utf8' });
    const kb = Number(r.stdout?.trim().split('\n').pop()?.split(/\s+/)[3]);
    return Number.isFinite(kb) ? `${(kb / 1024 / 1024).toFixed(1)} GiB free on ${path}` : `${path}: df failed`;
  };
  const mem = /MemAvailable:\s+(\d+)/.exec(existsSync('/proc/meminfo') ? readFileSync('/proc/meminfo', 'utf8') : '');
  const socket = process.env.COSPEC_CONTAINER_SOCKET ?? '/run/cospec/podman.sock';
  const engine = spawnSync('curl', ['-s', '-m', '5', '--unix-socket', socket, 'http://d/_ping'], { encoding: 'utf8' });
  return [
    'machine now:',
    [os.tmpdir(), '/var/lib/containers'].filter(existsSync).map(free).join(', ') + ';',
    mem ? `${(Number(mem[1]) / 1024 / 1024).toFixed(1)} GiB memory available;` : '',
    `load ${os.loadavg()[0].toFixed(1)};`,
    `container engine at ${socket}: ${engine.error ? 'not asked (no curl)' : engine.stdout === 'OK' ? 'answers' : 'does not answer'}`,
  ]
    .filter(Boolean)
    .join(' ');
}

console.log('\n━━ summary');
for (const s of steps) console.log(`${s.ok ? 'ok  ' : 'FAIL'} ${s.name} (${s.seconds} s)`);
const failures = failedTests();
if (failures.length) console.log(`\nfailed tests:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
if (failures.length || !steps.every((s) => s.ok)) console.log(`\n${machineLine()}`);
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(steps.every((s) => s.ok) ? 0 : 1);
