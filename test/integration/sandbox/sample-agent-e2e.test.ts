import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitRemoteForContainer } from '../../../src-main/services/gateway';
import type { ContainerHandle } from '../../../src-main/services/sandbox';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';
import type { EgressShape } from '../../../src-main/services/sandbox';
import Docker from 'dockerode';
import { createHarness, runCommand, sandboxSkipReason, sh, SOCKET, type Harness } from './harness';
import {
  remoteEngineSkipReason,
  startSshEngine,
  startTlsEngine,
  type RemoteEngineFixture,
} from './remote-engine-harness';

/**
 * End to end: the sample agent runs in a real sandbox container against the
 * GitLab stand-in, over plain http and over https (the gateway terminates TLS with the run CA the
 * container trusts). It commits, pushes a branch and opens an MR and an issue through the egress
 * proxy and the credential gateway, and the token is nowhere in the container: not in its
 * environment, its processes, its writable files, the mounted run folder, or the workspace.
 */

const skip = await sandboxSkipReason();
if (skip) console.warn(`[sandbox] skipping the sample agent end-to-end test: ${skip}`);

const PROJECT = 'acme/web-app';

/** What the token must not be found in, gathered from inside the running container. */
async function containerEvidence(c: ContainerHandle): Promise<Record<string, string>> {
  // The agent signals it is done by creating /tmp/agent-done and then idles, so the container is
  // still there to be searched.
  for (;;) {
    if ((await c.exec(['test', '-f', '/tmp/agent-done'])).exitCode === 0) break;
    if ((await c.exec(['true'])).exitCode !== 0) throw new Error('the container stopped before the agent finished');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const evidence: Record<string, string> = {
    environ: (await c.exec(['sh', '-c', 'for f in /proc/[0-9]*/environ; do tr "\\0" "\\n" < "$f"; done 2>/dev/null']))
      .output,
    processes: (await c.exec(['ps', '-eo', 'pid,args', '--no-headers'])).output,
    writable: (
      await c.exec(['sh', '-c', 'tar -C / -cf - tmp workspace cospec/run 2>/dev/null | tr -c "[:print:]\\n" " "'])
    ).output,
    gitConfig: (await c.exec(['sh', '-c', 'git config --list --show-origin 2>&1; cat /workspace/.git/config'])).output,
  };
  await c.exec(['pkill', '-x', 'sleep']);
  return evidence;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

// Both transports through the socket shape, and the https instance through the network shape (the
// one engines in a VM use): the gateway, git and the API calls work the same through either. Then
// the engine as a remote one, over tcp with TLS client certificates and over ssh: nothing of this
// computer is mounted, the workspace travels through the engine API, egress through the tunnel.
const cases: Array<{ tls: boolean; shape: EgressShape; engine: 'local' | 'tls' | 'ssh' }> = [
  { tls: false, shape: 'socket', engine: 'local' },
  { tls: true, shape: 'socket', engine: 'local' },
  { tls: true, shape: 'network', engine: 'local' },
  { tls: true, shape: 'tunnel', engine: 'tls' },
  { tls: false, shape: 'tunnel', engine: 'ssh' },
];

/** How the run's containers were set up, read through the engine's local socket while the agent runs. */
async function runLayout(
  c: ContainerHandle,
): Promise<{ mounts: string[]; relayNetworks: string[]; runNetwork: string }> {
  const docker = new Docker({ socketPath: SOCKET });
  const agent = await docker.getContainer(c.id).inspect();
  const runId = agent.Config.Labels['cospec.run'];
  const relay = await docker.getContainer(`cospec-relay-${runId}`).inspect();
  return {
    mounts: agent.Mounts.map((m) => `${m.Type} ${m.Destination}`).sort(),
    relayNetworks: Object.keys(relay.NetworkSettings.Networks),
    runNetwork: `cospec-run-${runId}`,
  };
}

describe.skipIf(skip).each(cases)(
  'the sample agent in a sandbox (tls: $tls, $shape shape, $engine engine)',
  ({ tls, shape, engine }) => {
    let gitlab: StandIn;
    let harness: Harness;
    let token: string;
    let workspace: string;
    let result: Awaited<ReturnType<typeof runCommand>>;
    let evidence: Record<string, string> = {};
    let layout: Awaited<ReturnType<typeof runLayout>> | undefined;
    let remote: RemoteEngineFixture | undefined;

    beforeAll(async () => {
      gitlab = await startGitLabStandIn({ tls });
      token = gitlab.user('cospec-bot').token;
      if (engine !== 'local') {
        const why = remoteEngineSkipReason(engine);
        if (why) throw new Error(`the ${engine} engine harness cannot run: ${why}`);
        remote = engine === 'tls' ? await startTlsEngine() : await startSshEngine();
      }
      harness = await createHarness({ egressShape: shape, ...(remote ? { engine: remote } : {}) });
      workspace = join(harness.dir, 'workspace');
      const dispatcher = gitlab.caPem ? new Agent({ connect: { ca: gitlab.caPem } }) : undefined;

      // Clone on the host as the app's cloner does: the credential comes from a one-shot helper, so
      // the clone's config keeps only the plain remote URL.
      const caFile = join(harness.dir, 'standin-ca.pem');
      if (gitlab.caPem) await writeFile(caFile, gitlab.caPem);
      const env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: harness.dir,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_TERMINAL_PROMPT: '0',
        COSPEC_TEST_TOKEN: token,
        ...(gitlab.caPem ? { GIT_SSL_CAINFO: caFile } : {}),
      };
      const helper = '!f() { echo username=cospec-bot; echo "password=$COSPEC_TEST_TOKEN"; }; f';
      const clone = await sh(
        'git',
        ['-c', `credential.helper=${helper}`, 'clone', '-q', gitRemoteForContainer(gitlab.url, PROJECT), workspace],
        { env },
      );
      expect(clone.code, clone.stderr || clone.stdout).toBe(0);

      const projectRes = await fetch(`${gitlab.url}/api/v4/projects/${encodeURIComponent(PROJECT)}`, {
        headers: { 'private-token': token },
        ...(dispatcher ? { dispatcher } : {}),
      } as RequestInit);
      const project = (await projectRes.json()) as { id: number };

      result = await runCommand(harness, '', {
        agent: {
          kind: 'command',
          command:
            'sh /opt/cospec/agents/sample-agent.sh; status=$?; touch /tmp/agent-done; sleep 300 || true; exit $status',
        },
        instanceUrl: gitlab.url,
        allowlist: [new URL(gitlab.url).host],
        projectPath: PROJECT,
        projectId: project.id,
        workspace,
        token,
        task: 'Add a sample note to the repository\n\nKeep it short.',
        ...(dispatcher ? { dispatcher } : {}),
        inside: async (c) => {
          if (remote) layout = await runLayout(c);
          evidence = await containerEvidence(c);
        },
      });
    }, 240_000);

    afterAll(async () => {
      await gitlab?.close();
      await harness?.cleanup();
      await remote?.stop();
    });

    if (engine !== 'local') {
      it('mounts nothing of this computer, and its relay joins only the run’s own network', async () => {
        expect(layout?.mounts).toEqual(['volume /cospec/run', 'volume /opt/cospec', 'volume /workspace']);
        expect(layout?.relayNetworks).toEqual([layout?.runNetwork]);
        expect(result.lines).toContain('[coSPEC] the workspace was copied back from the container engine');
        // The run's volumes, relay and network are gone with it.
        const docker = new Docker({ socketPath: SOCKET });
        const label = `cospec.run=${result.runId}`;
        expect((await docker.listVolumes({ filters: { label: [label] } })).Volumes ?? []).toEqual([]);
        expect(await docker.listContainers({ all: true, filters: { label: [label] } })).toEqual([]);
        expect(await docker.listNetworks({ filters: { label: [label] } })).toEqual([]);
      });
    }

    it('pushes its branch, opens a merge request and files an issue through the gateway', async () => {
      expect(result.result.exitCode, result.lines.join('\n')).toBe(0);
      const branch = `cospec/sample-${result.runId}`;
      expect(result.lines.join('\n')).toMatch(new RegExp(`done: branch ${branch}, merge request !\\d+, issue #\\d+`));
      const rev = await sh('git', [
        '--git-dir',
        gitlab.repoDir(PROJECT),
        'rev-parse',
        '--verify',
        `refs/heads/${branch}`,
      ]);
      expect(rev.code, rev.stderr || rev.stdout).toBe(0);
      const local = await sh('git', ['-C', workspace, 'rev-parse', 'HEAD']);
      expect(rev.stdout.trim()).toBe(local.stdout.trim());
      expect(gitlab.mergeRequests(PROJECT).filter((m) => m.source_branch === branch)).toHaveLength(1);
    });

    it('returns the gateway record and the egress verdicts for the run', () => {
      const record = result.result.gatewayRecord as {
        pushes: Array<{ branch: string; result: string }>;
        mergeRequests: unknown[];
        issues: unknown[];
      };
      expect(record.pushes).toEqual([
        expect.objectContaining({ branch: `cospec/sample-${result.runId}`, result: 'ok' }),
      ]);
      expect(record.mergeRequests).toHaveLength(1);
      expect(record.issues).toHaveLength(1);
      expect(result.result.egress).toEqual([
        expect.objectContaining({ destination: new URL(gitlab.url).host, verdict: 'allowed' }),
      ]);
    });

    it('never had the token in the container or its workspace', async () => {
      for (const [what, text] of Object.entries(evidence)) {
        expect(text.length, `${what} was not collected`).toBeGreaterThan(0);
        expect(text.includes(token), `the token is in the container's ${what}`).toBe(false);
      }
      expect(evidence.environ).toMatch(/^HTTPS_PROXY=http:\/\/\S+:3128$/m);
      expect(evidence.processes).toContain('sleep 300');
      for (const file of await filesUnder(workspace)) {
        expect((await readFile(file)).includes(token), `the token is in ${file}`).toBe(false);
      }
      expect(result.lines.join('\n').includes(token)).toBe(false);
    });
  },
);
