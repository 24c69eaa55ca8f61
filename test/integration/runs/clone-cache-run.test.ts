import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StandIn } from '../../../tools/gitlab-standin';
import {
  startServicesWithStandIn,
  type ServicesWithStandIn,
  type TestServices,
} from '../../support/services-with-standin';
import { sandboxSkipReason } from '../sandbox/harness';

/**
 * Repeat runs in real containers, on both clone engines: the second run's workspace comes from the
 * project's clone cache (filled, updated and copied by that engine), and an agent that goes looking for the cache (searching the file system,
 * writing alternates that name it, writing into it by its host path, overwriting its own pack files
 * in place as if they were hard links into the cache, rewriting the files it was given, which
 * were a checkout the cache prepared) changes nothing in it: the cache's files are byte for byte
 * the same afterwards, and the next run still gets a clean workspace from it, prepared afresh.
 */
const skip = await sandboxSkipReason();
if (skip) console.warn(`[runs] skipping clone cache run tests: ${skip}`);

const PROJECT = 'acme/api-service';

/** Every file under dir with its sha256 (the cache's state, to compare before and after). */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) files.set(p, createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return files;
}

/** The hostile agent: it knows the cache's host path (as if it guessed it) and tries everything. */
function hostileCommand(mirrorPath: string): string {
  return [
    'G=/workspace/.git',
    // Look for the cache anywhere this container can see.
    `echo "found:$(find / -xdev \\( -path /proc -o -path /sys \\) -prune -o \\( -name 'git-mirrors' -o -name '*.git.checkout' -o -path '*${mirrorPath.slice(-40)}*' \\) -print 2>/dev/null | head -5 | tr '\\n' ' ')"`,
    `echo "alternates:$(cat $G/objects/info/alternates 2>/dev/null || echo none)"`,
    // Write into the cache by its host path, and name it in alternates so git would use it.
    `mkdir -p ${mirrorPath}/objects 2>/dev/null && echo pwned > ${mirrorPath}/objects/pwned 2>/dev/null; echo ${mirrorPath}/objects > $G/objects/info/alternates`,
    'git -c safe.directory=/workspace count-objects -v >/dev/null 2>&1 || true',
    // Overwrite every pack and index in place: through a hard link this would reach the cache.
    'for f in $G/objects/pack/*; do chmod u+w "$f"; printf "PWNEDPWNEDPWNED" | dd of="$f" bs=1 seek=12 conv=notrunc 2>/dev/null; done',
    // And the refs and config, in place.
    'for f in $G/packed-refs $G/config $G/HEAD; do [ -f "$f" ] && printf "x" | dd of="$f" bs=1 seek=0 conv=notrunc 2>/dev/null; done',
    // The files it was given were prepared by the cache before the run: rewrite them in place, add one.
    'for f in $(find /workspace -path /workspace/.git -prune -o -type f -print | head -20); do printf "PWNEDPWNEDPWNED" | dd of="$f" bs=1 seek=0 conv=notrunc 2>/dev/null; done',
    'echo planted > /workspace/planted-by-agent.txt',
    'echo attacks-done',
  ].join('; ');
}

describe.skipIf(skip).each(['git', 'isomorphic-git'] as const)('repeat runs from the clone cache (%s)', (engine) => {
  let fixture: ServicesWithStandIn;
  let gitlab: StandIn;
  let dataDir: string;
  let services: TestServices;
  let accountId: string;
  const previous = process.env.COSPEC_CLONE_ENGINE;

  beforeAll(async () => {
    process.env.COSPEC_CLONE_ENGINE = engine;
    fixture = await startServicesWithStandIn({ prefix: 'cache-run' });
    ({ gitlab, dataDir, services, accountId } = fixture);
  }, 120_000);

  afterAll(async () => {
    if (previous === undefined) delete process.env.COSPEC_CLONE_ENGINE;
    else process.env.COSPEC_CLONE_ENGINE = previous;
    await fixture?.close();
  });

  const runWith = async (command: string) => {
    const started = await services.handlers.runs.start({
      accountId,
      projectPath: PROJECT,
      task: 'Cache test',
      agent: { kind: 'command', command },
      allow: [],
    });
    const done = await services.internal.runs.orchestrator.whenDone(started.id);
    const log = await services.handlers.runs.logs(done.id, {});
    expect(done.state, log.join('\n')).toBe('succeeded');
    return { done, log, workspace: join(dataDir, 'runs', done.id, 'workspace') };
  };
  // Workspaces this path's own cache made (the isomorphic-git path fills and copies it without git).
  const cachedRuns = () =>
    fixture.log.filter((l) => l.includes('workspace made from the clone cache') && l.includes(`"engine":"${engine}"`))
      .length;
  const mirrorsRoot = () => join(dataDir, 'git-mirrors', 'repos');
  const mirrorOf = () => {
    const account = readdirSync(mirrorsRoot())[0] as string;
    const repo = readdirSync(join(mirrorsRoot(), account)).find((n) => /^\d+\.git$/.test(n)) as string;
    return join(mirrorsRoot(), account, repo);
  };

  it('the first run fills the cache, the second copies from it; the agent sees a normal clone', async () => {
    const first = await runWith('git -c safe.directory=/workspace log -1 --format=%H');
    expect(cachedRuns()).toBe(1);
    const head = execFileSync('git', ['--git-dir', gitlab.repoDir(PROJECT), 'rev-parse', 'main'], {
      encoding: 'utf8',
    }).trim();
    expect(first.done.baseSha).toBe(head);
    const second = await runWith(
      'cd /workspace && git -c safe.directory=/workspace remote get-url origin && git -c safe.directory=/workspace status --porcelain && echo status-clean',
    );
    expect(cachedRuns()).toBe(2);
    // Its files and index were the checkout prepared after the first run ended (git/prepared-checkout.ts).
    expect(fixture.log.filter((l) => l.includes('workspace made from the clone cache')).at(-1)).toContain(
      '"prepared":true',
    );
    expect(second.done.baseSha).toBe(head);
    expect(second.log).toContain(`${gitlab.url}/${PROJECT}.git`);
    expect(second.log).toContain('status-clean');
  }, 600_000);

  it('an agent cannot find, reach or change the cache', async () => {
    const mirror = mirrorOf();
    const before = snapshot(mirror);
    const { log, workspace } = await runWith(hostileCommand(mirror));
    expect(log).toContain('attacks-done');
    // The attacks really happened, in the workspace.
    const packDir = join(workspace, '.git', 'objects', 'pack');
    for (const f of readdirSync(packDir)) expect(readFileSync(join(packDir, f)).includes('PWNEDPWNED')).toBe(true);
    expect(readFileSync(join(workspace, '.git', 'objects', 'info', 'alternates'), 'utf8')).toContain(mirror);
    // Nothing of the cache is visible in the container.
    const found = log.find((l) => l.startsWith('found:')) ?? '';
    expect(found.replace('found:', '').trim()).toBe('');
    expect(log).toContain('alternates:none');
    // Byte for byte the same files (the run's fetch found nothing new), nothing added.
    expect(snapshot(mirror)).toEqual(before);
    expect(existsSync(join(mirror, 'objects', 'pwned'))).toBe(false);
    execFileSync('git', ['--git-dir', mirror, 'fsck', '--connectivity-only', '--no-dangling'], { encoding: 'utf8' });

    expect(readFileSync(join(workspace, 'planted-by-agent.txt'), 'utf8')).toBe('planted\n');

    // The next run still gets a clean workspace from it, with a checkout prepared from the mirror
    // after the hostile run ended: none of the agent's rewrites, nothing planted.
    const next = await runWith(
      [
        'cd /workspace',
        'git -c safe.directory=/workspace fsck --connectivity-only && echo fsck-ok',
        'test -z "$(git -c safe.directory=/workspace status --porcelain --ignored)" && echo status-clean',
        'grep -rl PWNEDPWNED --exclude-dir=.git . || echo no-pwned',
      ].join('; '),
    );
    expect(next.log).toContain('fsck-ok');
    expect(next.log).toContain('status-clean');
    expect(next.log).toContain('no-pwned');
    expect(fixture.log.filter((l) => l.includes('workspace made from the clone cache')).at(-1)).toContain(
      '"prepared":true',
    );
    expect(cachedRuns()).toBe(4);
    expect(statSync(mirror).isDirectory()).toBe(true);
  }, 600_000);
});
