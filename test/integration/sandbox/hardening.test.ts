import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, runCommand, sandboxSkipReason, sh, type Harness } from './harness';

/**
 * The container a run gets, seen from inside: non-root, no capabilities,
 * no-new-privileges, read-only root with writable workspace, /tmp and home, and the CPU, memory and
 * pids limits actually applied by the kernel.
 */

const skip = await sandboxSkipReason();
if (skip) console.warn(`[sandbox] skipping hardening tests: ${skip}`);

let harness: Harness;
const facts = new Map<string, string>();

describe.skipIf(skip)('the sandbox container', () => {
  beforeAll(async () => {
    harness = await createHarness({ limits: { memoryMb: 256, pidsLimit: 64, cpus: 1 } });
    const script = `
f() { printf 'FACT %s %s\\n' "$1" "$(eval "$2" 2>&1 | tr '\\n' ' ' | sed 's/ *$//')"; }
w() { if (: > "$1/cospec-probe") 2>/dev/null; then echo yes; else echo no; fi; }
cg() { for p in "$@"; do [ -r "$p" ] && { cat "$p"; return; }; done; echo none; }
f uid 'id -u'
f gid 'id -g'
f cap_eff "grep CapEff /proc/self/status | awk '{print \\$2}'"
f cap_bnd "grep CapBnd /proc/self/status | awk '{print \\$2}'"
f cap_prm "grep CapPrm /proc/self/status | awk '{print \\$2}'"
f no_new_privs "grep NoNewPrivs /proc/self/status | awk '{print \\$2}'"
f write_root 'w /'
f write_etc 'w /etc'
f write_usr 'w /usr/bin'
f write_tmp 'w /tmp'
f write_home 'w $HOME'
f write_workspace 'w /workspace'
f memory_limit 'cg /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max'
f pids_limit 'cg /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max'
f cpu_quota 'cg /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu.max'
f cpu_period 'cg /sys/fs/cgroup/cpu/cpu.cfs_period_us'
f mount_tmpfs 'mount -t tmpfs none /mnt && echo mounted || echo refused'
f chown_root 'chown 0 /workspace/cospec-probe && echo changed || echo refused'
f task "cat \\"\\$COSPEC_TASK_FILE\\""
f sample_agent 'test -r /opt/cospec/agents/sample-agent.sh && echo readable'
f write_agents 'w /opt/cospec/agents'
f write_run_dir 'w /cospec/run'
f processes_before 'ps -e --no-headers | wc -l'
(i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i + 1)); done) >/dev/null 2>&1
f processes_after_forking 'ps -e --no-headers | wc -l'
exit 3
`;
    const r = await runCommand(harness, script, { task: 'Make the tests pass.\nLine two.' });
    expect(r.result.exitCode, r.lines.join('\n')).toBe(3);
    for (const line of r.lines) {
      const m = /^FACT (\S+) ?(.*)$/.exec(line);
      if (m) facts.set(m[1]!, m[2] ?? '');
    }
  }, 180_000);

  afterAll(async () => harness?.cleanup());

  it('runs as a non-root user', () => {
    expect(facts.get('uid')).not.toBe('0');
    expect(facts.get('gid')).not.toBe('0');
  });

  it('has every capability dropped and no-new-privileges set', () => {
    expect(facts.get('cap_eff')).toBe('0000000000000000');
    expect(facts.get('cap_prm')).toBe('0000000000000000');
    expect(facts.get('cap_bnd')).toBe('0000000000000000');
    expect(facts.get('no_new_privs')).toBe('1');
    expect(facts.get('mount_tmpfs')).toContain('refused');
    expect(facts.get('chown_root')).toContain('refused');
  });

  it('has a read-only root; only the workspace, /tmp and home are writable', () => {
    expect(facts.get('write_root')).toBe('no');
    expect(facts.get('write_etc')).toBe('no');
    expect(facts.get('write_usr')).toBe('no');
    expect(facts.get('write_agents')).toBe('no');
    expect(facts.get('write_run_dir')).toBe('no');
    expect(facts.get('write_tmp')).toBe('yes');
    expect(facts.get('write_home')).toBe('yes');
    expect(facts.get('write_workspace')).toBe('yes');
  });

  it('applies the memory, pids and CPU limits', () => {
    expect(facts.get('memory_limit')).toMatch(/^268435456$/);
    expect(facts.get('pids_limit')).toBe('64');
    const quota = facts.get('cpu_quota') ?? '';
    const period = facts.get('cpu_period') ?? '';
    // cgroup v1: quota / period = cpus; v2: "quota period".
    const [q, p] = /\s/.test(quota) ? quota.split(/\s+/).map(Number) : [Number(quota), Number(period)];
    expect(q! / p!).toBe(1);
    expect(Number(facts.get('processes_after_forking'))).toBeLessThanOrEqual(64);
  });

  it('hands the task in a file and the sample agent read-only, and passes the exit code through', () => {
    expect(facts.get('task')).toBe('Make the tests pass. Line two.');
    expect(facts.get('sample_agent')).toBe('readable');
  });

  it('reports an agent killed for memory as such', async () => {
    const small = await createHarness({ limits: { memoryMb: 64 } });
    try {
      // tail keeps a line without newlines in memory, so it grows until the limit kills it; it is
      // the agent's main process here, as an agent CLI would be.
      const r = await runCommand(small, 'echo filling; exec tail /dev/zero');
      expect(r.result.exitCode, r.lines.join('\n')).toBe(137);
      expect(r.result.reason ?? '', r.lines.join('\n')).toMatch(/memory/);
    } finally {
      await small.cleanup();
    }
  });

  it('gives a root-owned workspace to the agent for the run and back afterwards', async () => {
    if (process.getuid?.() !== 0) return console.warn('[sandbox] not root: workspace hand-over not exercised');
    const ws = join(harness.dir, 'owned-ws');
    await sh('git', ['init', '-q', ws]);
    await writeFile(join(ws, 'file.txt'), 'x');
    const r = await runCommand(harness, 'stat -c %u /workspace/file.txt; echo changed >> /workspace/file.txt', {
      workspace: ws,
    });
    expect(r.result.exitCode, r.lines.join('\n')).toBe(0);
    expect(r.lines[0]).toBe('1000');
    expect((await stat(join(ws, 'file.txt'))).uid).toBe(0);
    expect((await stat(ws)).uid).toBe(0);
  });
});
