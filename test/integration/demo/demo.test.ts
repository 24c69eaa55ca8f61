import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { sandboxSkipReason } from '../sandbox/harness';

const run = promisify(execFile);
const skip = await sandboxSkipReason();
if (skip) console.warn(`[demo] skipping the demo test: ${skip}`);

const demoDirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith('cospec-demo-'));

describe.skipIf(skip)('npm run demo', () => {
  it('runs the sample agent offline, prints the branch, merge request and issue it made, and cleans up', async () => {
    const before = new Set(demoDirs());
    // The suite already runs inside a keyring session (scripts/with-keyring.sh), so run the demo's Node part directly.
    const { stdout } = await run('npx', ['tsx', 'scripts/demo.ts'], { timeout: 300_000, maxBuffer: 8 * 1024 * 1024 });
    expect(stdout).toMatch(/connected cospec-bot on 127\.0\.0\.1:\d+/);
    expect(stdout).toMatch(/\[succeeded\] 1 branch, 1 merge request, 1 issue/);
    expect(stdout).toMatch(
      /branch {2}cospec\/sample-[\w-]+ \(created, 1 commit\) {2}http:\/\/127\.0\.0\.1:\d+\/acme\/web-app\/-\/tree\//,
    );
    expect(stdout).toMatch(
      /MR {6}!\d+ .+ \[opened\] {2}http:\/\/127\.0\.0\.1:\d+\/acme\/web-app\/-\/merge_requests\/\d+/,
    );
    expect(stdout).toMatch(/issue {3}#\d+ .+ \[opened\] {2}http:\/\/127\.0\.0\.1:\d+\/acme\/web-app\/-\/issues\/\d+/);
    expect(stdout).toContain('Demo finished');
    expect(demoDirs().filter((d) => !before.has(d))).toEqual([]);
  }, 320_000);
});
