import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, lstatSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus } from '../../../src-main/platform/events';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { pathsFor } from '../../../src-main/platform/paths';
import { createServices } from '../../../src-main/services';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';
import { sandboxSkipReason } from '../sandbox/harness';

/*
 * The hostile agent leaves traps in its workspace, in every place a host git (or anything else)
 * would read: hooks, config keys that name programs, attributes naming drivers and filters,
 * includes, URL rewrites and proxies aimed at a listener of this test, alternates, and `.git` as a
 * `gitdir:` file or a symbolic link. Every trap, if run on this computer, writes a file into the
 * marker folder or connects to the listener. Real runs in real containers against the GitLab
 * stand-in; then everything the app does after a run (output detection, refresh, review, local
 * diffs, checkout) must leave the marker folder empty, the listener unconnected, and still find
 * the agent's branch, merge request and issue.
 */
const skip = await sandboxSkipReason();
if (skip) console.warn(`[hostile] skipping workspace trap tests: ${skip}`);

const HOOKS = [
  'applypatch-msg',
  'pre-applypatch',
  'post-applypatch',
  'pre-commit',
  'pre-merge-commit',
  'prepare-commit-msg',
  'commit-msg',
  'post-commit',
  'pre-rebase',
  'post-checkout',
  'post-merge',
  'pre-push',
  'pre-receive',
  'update',
  'proc-receive',
  'post-receive',
  'post-update',
  'reference-transaction',
  'push-to-checkout',
  'pre-auto-gc',
  'post-rewrite',
  'sendemail-validate',
  'fsmonitor-watchman',
  'post-index-change',
];

/** Config keys whose value git runs as a program or a shell command. */
const PROGRAM_KEYS = [
  'core.fsmonitor',
  'core.sshCommand',
  'core.pager',
  'core.editor',
  'core.askPass',
  'core.gitProxy',
  'core.alternateRefsCommand',
  'sequence.editor',
  'diff.external',
  'diff.evil.textconv',
  'diff.evil.command',
  'filter.evil.smudge',
  'filter.evil.clean',
  'filter.evil.process',
  'merge.evil.driver',
  'credential.helper',
  'gpg.program',
  'gpg.ssh.program',
  'gpg.x509.program',
  'uploadpack.packObjectsHook',
  'pager.log',
  'pager.diff',
  'pager.show',
  'remote.origin.uploadpack',
  'remote.origin.receivepack',
  'submodule.evil.update',
  'gc.logExpiry',
];

type Variant = 'directory' | 'gitdir-file' | 'symlink';

/** The agent: the sample agent's allowed work, one more pushed commit carrying attributes, then the traps. */
function agentCommand(marks: string, listener: string, gitlabUrl: string, variant: Variant): string {
  const trap = (name: string) => `touch ${marks}/${name} 2>/dev/null; exit 0`;
  const lines = [
    'set -eu',
    'sh /opt/cospec/agents/sample-agent.sh',
    'P=${HTTPS_PROXY:-${HTTP_PROXY:-}}',
    'export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0=/workspace',
    // Pushed with the work: attributes naming drivers and filters, a submodule with a command, an include file.
    `printf '* diff=evil filter=evil merge=evil\\n' > .gitattributes`,
    `printf '[submodule "evil"]\\n\\tpath = evil\\n\\turl = ${listener}/evil.git\\n\\tupdate = !${trap('gitmodules-update')}\\n' > .gitmodules`,
    'git add .gitattributes .gitmodules',
    'git -c user.name=agent -c user.email=agent@cospec.invalid commit -q -m "Attributes for the reviewer"',
    'git -c http.proxy="$P" push -q origin HEAD',
    // Now the traps, where only a host process would find them (the agent's own git is done).
    'G=/workspace/.git',
    // One trap script per hook name (shell loops keep the command under the spec's 10,000 characters).
    `mkdir -p .githooks; for h in ${HOOKS.join(' ')}; do printf '#!/bin/sh\\ntouch ${marks}/hook-%s 2>/dev/null; exit 0\\n' $h > $G/hooks/$h; chmod +x $G/hooks/$h; cp $G/hooks/$h .githooks/$h; done`,
    `for k in ${PROGRAM_KEYS.join(' ')}; do git config --file $G/config $k "touch ${marks}/$k 2>/dev/null; exit 0"; done`,
    `git config --file $G/config credential.helper "!touch ${marks}/credential.helper; exit 0"`,
    'git config --file $G/config log.showSignature true',
    'git config --file $G/config commit.gpgSign true',
    'git config --file $G/config core.hooksPath .githooks',
    'git config --file $G/config core.worktree /',
    'git config --file $G/config protocol.allow always',
    'git config --file $G/config gc.auto 1',
    `git config --file $G/config http.proxy ${listener}`,
    `git config --file $G/config remote.origin.proxy ${listener}`,
    'git config --file $G/config http.sslVerify false',
    `git config --file $G/config url.${listener}/.insteadOf ${gitlabUrl}/`,
    `git config --file $G/config url.${listener}/.pushInsteadOf ${gitlabUrl}/`,
    // An included file and a conditional include, both with more of the same.
    `printf '[core]\\n\\tfsmonitor = ${trap('include-fsmonitor')}\\n[diff]\\n\\texternal = ${trap('include-diff-external')}\\n[url "${listener}/"]\\n\\tinsteadOf = ${gitlabUrl}/\\n' > $G/evil.conf`,
    'git config --file $G/config include.path evil.conf',
    'git config --file $G/config includeIf.gitdir:/.path evil.conf',
    `cp .gitattributes $G/info/attributes`,
    // Alternates pointing out of the workspace, and at this computer's marker folder.
    `echo ${marks}/objects > $G/objects/info/alternates`,
    ...(variant === 'gitdir-file'
      ? ['mv $G /workspace/.real-git', 'printf "gitdir: .real-git\\n" > /workspace/.git']
      : variant === 'symlink'
        ? ['mv $G /workspace/.real-git', 'ln -s .real-git /workspace/.git']
        : []),
    'echo traps-set',
  ];
  return lines.join('\n');
}

let gitlab: StandIn;
let dataDir: string;
let marks: string;
let services: Awaited<ReturnType<typeof createServices>>;
let accountId: string;
let listener: Server;
let listenerUrl: string;
const connections: string[] = [];
const sockets = new Set<Socket>();
const sink = memorySink();

describe.skipIf(skip)('a hostile agent’s workspace traps', () => {
  beforeAll(async () => {
    gitlab = await startGitLabStandIn();
    dataDir = mkdtempSync(join(tmpdir(), 'cospec-hostile-'));
    marks = mkdtempSync(join(tmpdir(), 'cospec-hostile-marks-'));
    // Anything that connects here (a redirected fetch, a proxy setting) is recorded with what it sent.
    listener = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', (data) => connections.push(data.toString('latin1')));
      socket.on('close', () => sockets.delete(socket));
      connections.push('connected');
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const address = listener.address();
    listenerUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    services = await createServices({
      host: 'harness',
      appVersion: '0.0.0-test',
      paths: pathsFor(dataDir),
      logger: createLogger({ level: 'debug', sinks: [sink] }),
      events: createEventBus(),
      openExternal: async () => undefined,
      protocolRegistered: false,
      policyPath: join(dataDir, 'no-policy.json'),
    });
    const { account } = await services.handlers.accounts.connectWithToken({
      instanceUrl: gitlab.url,
      token: gitlab.user('cospec-bot').token,
      allowHttp: true,
    });
    accountId = account.id;
  }, 120_000);

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve()));
    await services?.dispose();
    await gitlab?.close();
    for (const dir of [dataDir, marks]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const variants: Variant[] = ['directory', 'gitdir-file', 'symlink'];
  it.each(variants)(
    'with .git as a %s: outputs, refresh, review, diffs and checkout run nothing of the agent’s',
    async (variant) => {
      const started = await services.handlers.runs.start({
        accountId,
        projectPath: 'acme/api-service',
        task: `Hostile run (${variant})`,
        agent: { kind: 'command', command: agentCommand(marks, listenerUrl, gitlab.url, variant) },
        allow: [],
      });
      const done = await services.internal.runs.orchestrator.whenDone(started.id);
      const log = await services.handlers.runs.logs(done.id, {});
      expect(done.state, log.join('\n')).toBe('succeeded');
      expect(log).toContain('traps-set');

      // The traps are really there, in the shape this variant wanted.
      const workspace = join(dataDir, 'runs', done.id, 'workspace');
      const dotGit = lstatSync(join(workspace, '.git'));
      expect(
        variant === 'directory'
          ? dotGit.isDirectory()
          : variant === 'symlink'
            ? dotGit.isSymbolicLink()
            : dotGit.isFile(),
      ).toBe(true);
      const gitDir = variant === 'directory' ? join(workspace, '.git') : join(workspace, '.real-git');
      expect(readFileSync(join(gitDir, 'config'), 'utf8')).toContain('fsmonitor');

      // The allowed work is detected, commits included (read from GitLab, not from the workspace).
      const branch = done.outputs.find((o) => o.kind === 'branch');
      const mr = done.outputs.find((o) => o.kind === 'merge_request');
      expect(branch?.kind === 'branch' && branch.commits.map((c) => c.title)).toContain('Attributes for the reviewer');
      expect(mr).toMatchObject({ state: 'opened' });
      expect(done.outputs.some((o) => o.kind === 'issue')).toBe(true);
      if (mr?.kind !== 'merge_request') throw new Error('no merge request');

      // Everything the app does after a run.
      const refreshed = await services.handlers.runs.refreshOutputs(done.id);
      expect(refreshed.outputs.filter((o) => o.kind === 'branch')).toEqual(
        done.outputs.filter((o) => o.kind === 'branch'),
      );
      const review = await services.handlers.review.get({ runId: done.id, mrIid: mr.iid });
      expect(review.diff.source).toBe('local');
      expect(review.diff.files.map((f) => f.newPath).sort()).toEqual([
        '.gitattributes',
        '.gitmodules',
        'COSPEC_SAMPLE.md',
      ]);
      await services.handlers.review.fileDiffs({ runId: done.id, mrIid: mr.iid, paths: ['.gitattributes'] });
      await services.handlers.review.fileDiff({ runId: done.id, mrIid: mr.iid, path: 'COSPEC_SAMPLE.md' });
      expect(await services.handlers.review.crossCheck({ runId: done.id, mrIid: mr.iid })).toMatchObject({
        checked: true,
        consistent: true,
      });
      const checkoutDir = join(dataDir, `checkout-${variant}`);
      const checkout = await services.handlers.review.checkout({ runId: done.id, mrIid: mr.iid, dir: checkoutDir });
      expect(checkout.head).toBe(review.diff.headSha);

      // Nothing ran, nothing connected, no credential left this computer for the listener.
      expect(readdirSync(marks)).toEqual([]);
      expect(connections).toEqual([]);
      expect(sink.lines.join('\n')).not.toContain(gitlab.user('cospec-bot').token);
    },
    400_000,
  );

  it('a workspace with more files than the hand-back walks is removed, saying so, and the run still ends', async () => {
    const started = await services.handlers.runs.start({
      accountId,
      projectPath: 'acme/api-service',
      task: 'Too many files',
      agent: { kind: 'command', command: 'mkdir many && cd many && seq 1 200500 | xargs touch && echo made-many' },
      allow: [],
    });
    const done = await services.internal.runs.orchestrator.whenDone(started.id);
    const log = (await services.handlers.runs.logs(done.id, {})).join('\n');
    expect(done.state, log).toBe('succeeded');
    expect(log).toMatch(/The workspace was removed: it has more than 200,000 files and folders/);
    expect(existsSync(join(dataDir, 'runs', done.id, 'workspace'))).toBe(false);
  }, 600_000);

  it('the traps are live: the host’s plain git in such a workspace runs them (the control)', () => {
    // Not the app: the test itself runs git the way the app used to, to show the traps above were real.
    const run = readdirSync(join(dataDir, 'runs')).find((id) =>
      lstatSync(join(dataDir, 'runs', id, 'workspace', '.git'), { throwIfNoEntry: false })?.isDirectory(),
    );
    if (!run) throw new Error('no run with a .git folder');
    const workspace = join(dataDir, 'runs', run, 'workspace');
    try {
      execFileSync('git', ['-C', workspace, 'diff', 'HEAD~1', 'HEAD'], {
        stdio: 'ignore',
        env: { ...process.env, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory', GIT_CONFIG_VALUE_0: '*' },
        timeout: 30_000,
      });
    } catch {
      // The traps may also make git fail; what matters is what they left behind.
    }
    expect(readdirSync(marks).length).toBeGreaterThan(0);
  });
});
