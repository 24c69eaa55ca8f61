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
  it('runs the sample agent offline, then the review follow-up loop on the same MR, and cleans up', async () => {
    const before = new Set(demoDirs());
    // The suite already runs inside a keyring session (scripts/with-keyring.sh), so run the demo's Node part directly.
    const { stdout } = await run('npx', ['tsx', 'scripts/demo.ts'], { timeout: 600_000, maxBuffer: 8 * 1024 * 1024 });
    expect(stdout).toMatch(/connected cospec-bot on 127\.0\.0\.1:\d+/);
    expect(stdout).toMatch(/\[succeeded\] 1 branch, 1 merge request, 1 issue/);
    expect(stdout).toMatch(
      /branch {2}cospec\/sample-[\w-]+ \(created, 1 commit\) {2}http:\/\/127\.0\.0\.1:\d+\/acme\/web-app\/-\/tree\//,
    );
    expect(stdout).toMatch(
      /MR {6}!\d+ .+ \[opened\] {2}http:\/\/127\.0\.0\.1:\d+\/acme\/web-app\/-\/merge_requests\/\d+/,
    );
    expect(stdout).toMatch(/issue {3}#\d+ .+ \[opened\] {2}http:\/\/127\.0\.0\.1:\d+\/acme\/web-app\/-\/issues\/\d+/);
    // The loop back from review: a line comment, a follow-up run, the same MR updated with both commits.
    expect(stdout).toMatch(/1 unresolved thread\(s\); the follow-up works on cospec\/sample-/);
    expect(stdout).toMatch(/branch {2}cospec\/sample-[\w-]+ \(updated, 1 commit\)/);
    expect(stdout).toMatch(/MR {6}!\d+ .+ \[opened, updated\]/);
    expect(stdout).toMatch(/carries 2 commits:/);
    expect(stdout).toMatch(/thread: cospec-bot: Addressed in [0-9a-f]{40} by the coSPEC sample agent/);
    expect(stdout).toContain('Demo finished');
    expect(demoDirs().filter((d) => !before.has(d))).toEqual([]);
  }, 620_000);
});
