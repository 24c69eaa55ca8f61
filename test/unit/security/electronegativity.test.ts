import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../../src-main/platform/csp';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const require = createRequire(import.meta.url);
const electronVersion = (
  JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')) as { version: string }
).version;

interface Finding {
  id: string;
  file: string;
  line: number;
  column: number;
  severity: string;
  confidence: string;
  description: string;
}

/**
 * Every finding Electronegativity reports on src-main must be explained here: the check, the file,
 * a piece of the flagged line (so an entry follows its code, not a line number) and why it is fine.
 * A new finding fails the test until someone reviews it and adds a reason; an entry that no longer
 * matches anything fails too, so the list cannot rot.
 */
const accepted: Array<{ id: string; file: string; code: string; reason: string }> = [
  {
    id: 'OPEN_EXTERNAL_JS_CHECK',
    file: 'shell/adapters.ts',
    code: 'shell.openExternal(vetExternalUrl(url).toString()',
    reason:
      'The one call of shell.openExternal; vetExternalUrl lets only http(s) URLs with a host and without credentials through (tested in adapters.test.ts).',
  },
  {
    id: 'OPEN_EXTERNAL_JS_CHECK',
    file: 'shell/web-contents-guard.ts',
    code: 'options.openExternal(vetted.toString())',
    reason:
      'Links the page tries to open or navigate to reach the system browser only after vetExternalUrl (tested in window.test.ts).',
  },
  {
    id: 'OPEN_EXTERNAL_JS_CHECK',
    file: 'services/app/index.ts',
    code: 'deps.openExternal(vetExternalUrl(url).toString())',
    reason:
      'app.openExternal from the renderer: the contract requires a URL, the service vets it, and the shell adapter vets it again.',
  },
  {
    id: 'OPEN_EXTERNAL_JS_CHECK',
    file: 'services/auth/flows.ts',
    code: 'deps.openExternal(authorizeUrl)',
    reason:
      'Opens the OAuth authorize URL the app built itself from the normalised https instance URL; the shell adapter vets it as well.',
  },
  {
    id: 'PROTOCOL_HANDLER_JS_CHECK',
    file: 'shell/deep-links.ts',
    code: 'app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME',
    reason:
      'cospec:// carries only the OAuth callback; handleDeepLink accepts cospec://oauth/callback with a known state and rejects everything else (test/unit/auth, test/integration/accounts/oauth.test.ts).',
  },
  {
    id: 'CSP_GLOBAL_CHECK',
    file: 'shell/session-security.ts',
    code: "'Content-Security-Policy': [CONTENT_SECURITY_POLICY]",
    reason:
      'The tool cannot read a policy held in a constant ("failed to parse"); the same evaluator is run on the value itself in the next test.',
  },
];

async function scan(folder: string): Promise<{ checks: number; errors: unknown[]; findings: Finding[] }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(root, 'test/unit/security/electronegativity-runner.mjs'), folder, electronVersion],
    {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const marker = stdout.lastIndexOf('@@FINDINGS@@');
  expect(marker, `no result from Electronegativity:\n${stdout}`).toBeGreaterThanOrEqual(0);
  return JSON.parse(stdout.slice(marker + '@@FINDINGS@@'.length)) as {
    checks: number;
    errors: unknown[];
    findings: Finding[];
  };
}

function sourceLine(finding: Finding): string {
  return readFileSync(join(root, 'src-main', finding.file), 'utf8').split('\n')[finding.line - 1] ?? '';
}

describe('Electronegativity over src-main', () => {
  it('leaves no finding unexplained', { timeout: 120_000 }, async () => {
    const result = await scan(join(root, 'src-main'));
    expect(result.checks).toBeGreaterThan(40);
    expect(result.errors, 'files the tool could not parse').toEqual([]);
    const unexplained = result.findings.filter(
      (f) => !accepted.some((a) => a.id === f.id && a.file === f.file && sourceLine(f).includes(a.code)),
    );
    expect(unexplained.map((f) => `${f.id} ${f.file}:${f.line} ${f.description} → ${sourceLine(f).trim()}`)).toEqual(
      [],
    );
    const stale = accepted.filter(
      (a) => !result.findings.some((f) => a.id === f.id && a.file === f.file && sourceLine(f).includes(a.code)),
    );
    expect(
      stale.map((a) => `${a.id} ${a.file}`),
      'allow-list entries that match no finding any more',
    ).toEqual([]);
    // The checks that would flag a missing baseline found nothing to report.
    const ids = new Set(result.findings.map((f) => f.id));
    for (const id of [
      'CONTEXT_ISOLATION_JS_CHECK',
      'NODE_INTEGRATION_JS_CHECK',
      'SANDBOX_JS_CHECK',
      'LIMIT_NAVIGATION_GLOBAL_CHECK',
      'PERMISSION_REQUEST_HANDLER_GLOBAL_CHECK',
      'WEB_SECURITY_JS_CHECK',
    ]) {
      expect(ids.has(id), id).toBe(false);
    }
  });

  it(
    'reports a window without the baseline (so a clean result above means something)',
    { timeout: 120_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cospec-electronegativity-'));
      try {
        writeFileSync(
          join(dir, 'main.ts'),
          "import { BrowserWindow } from 'electron';\n" +
            'export const w = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false, webSecurity: false } });\n',
        );
        const ids = new Set((await scan(dir)).findings.map((f) => f.id));
        for (const id of [
          'CONTEXT_ISOLATION_JS_CHECK',
          'SANDBOX_JS_CHECK',
          'WEB_SECURITY_JS_CHECK',
          'LIMIT_NAVIGATION_GLOBAL_CHECK',
          'PERMISSION_REQUEST_HANDLER_GLOBAL_CHECK',
          'CSP_GLOBAL_CHECK',
        ]) {
          expect(ids.has(id), id).toBe(true);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it("finds the app's CSP strong with the tool's own evaluator", () => {
    const csp = require(
      require.resolve('@doyensec/csp-evaluator', { paths: [join(root, 'node_modules/@doyensec/electronegativity')] }),
    ) as CspEvaluatorModule;
    const findings = new csp.CspEvaluator(new csp.CspParser(CONTENT_SECURITY_POLICY).csp, csp.Version.CSP3).evaluate();
    const s = csp.severities;
    // Electronegativity calls a policy weak on any HIGH or MEDIUM finding (and on syntax errors).
    expect(findings.filter((f) => [s.HIGH, s.MEDIUM, s.SYNTAX, s.HIGH_MAYBE].includes(f.severity))).toEqual([]);
    // The one "maybe": 'self' scripts are risky where a site hosts JSONP or user uploads. app:// serves
    // only the files of the built bundle (createAppProtocolHandler), so 'self' means exactly those.
    expect(findings.filter((f) => f.severity === s.MEDIUM_MAYBE).map((f) => `${f.directive} ${f.value}`)).toEqual([
      "script-src 'self'",
    ]);
  });
});

interface CspEvaluatorModule {
  CspParser: new (policy: string) => { csp: unknown };
  CspEvaluator: new (
    csp: unknown,
    version: unknown,
  ) => { evaluate(): Array<{ severity: number; directive: string; value?: string }> };
  Version: { CSP3: unknown };
  severities: Record<'HIGH' | 'SYNTAX' | 'MEDIUM' | 'HIGH_MAYBE' | 'MEDIUM_MAYBE', number>;
}
