import { spawn } from 'node:child_process';
import { constants, setPriority } from 'node:os';
import { CospecError } from '../../../src-shared/ipc/errors';

/**
 * The host's own git, run so that only this app configures it. Every git process the app starts on
 * an existing repository goes through here, and the repository is always one the app made itself
 * (see mirror.ts), never a run's workspace: git reads a repository's config, hooks, attributes and
 * info files, and a workspace's were written by the agent.
 *
 * On top of that, nothing outside the app's own files can configure these processes either:
 * - the environment is built from a short list (PATH and the temp and Windows system folders), so
 *   no GIT_DIR, GIT_SSH_COMMAND, GIT_EXTERNAL_DIFF, proxy or pager variable leaks in;
 * - the system and global config files are not read (GIT_CONFIG_NOSYSTEM, GIT_CONFIG_GLOBAL and
 *   HOME point at an empty file of the app's);
 * - the settings below are given as command-level config (GIT_CONFIG_COUNT), which beats every
 *   config file: no hooks, no fsmonitor, no attributes file, no credential helper, https and http
 *   only, no redirects (a redirect would carry the credentials elsewhere), no auto gc;
 * - the working directory is the repository itself, and every call has a time and output bound.
 */

export interface HostGitHome {
  /** An empty file used as the global config (git ≥ 2.32) and HOME/.gitconfig (older). */
  globalConfig: string;
  /** HOME and XDG_CONFIG_HOME for git: an app folder holding only that empty file. */
  home: string;
  /** An empty folder, used as core.hooksPath so no hook is ever found. */
  noHooks: string;
  /** An empty file, used as core.attributesFile. */
  noAttributes: string;
}

export interface HostGitCall {
  /** The git binary; `git` on PATH by default. */
  gitPath?: string;
  /** An app-owned git directory (bare repository); the process runs with GIT_DIR and cwd set to it. */
  gitDir: string;
  /**
   * A work tree the app wrote itself from one of its mirrors, which no container has seen yet (a
   * workspace being made, mirror.ts): GIT_WORK_TREE and cwd. Never a run's workspace.
   */
  workTree?: string;
  home: HostGitHome;
  args: string[];
  /** More command-level config, after the hardened settings (credentials' CA, the account's proxy). */
  config?: Array<[string, string]>;
  /** More environment (askpass variables, CA for curl). */
  env?: Record<string, string>;
  /** Output beyond this fails the call instead of growing memory. */
  maxBuffer?: number;
  /** The call is killed after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Work nobody waits for (a checkout prepared for a later run): below normal priority. */
  lowPriority?: boolean;
}

export interface HostGitResult {
  stdout: string;
  stderr: string;
}

const KEPT_ENV = ['PATH', 'Path', 'SYSTEMROOT', 'SystemRoot', 'WINDIR', 'COMSPEC', 'PATHEXT', 'TMPDIR', 'TEMP', 'TMP'];

/** Settings that win over any file git might read; kept in one place so every call gets all of them. */
export function hardenedConfig(home: HostGitHome): Array<[string, string]> {
  return [
    ['core.hooksPath', home.noHooks],
    ['core.fsmonitor', 'false'],
    ['core.untrackedCache', 'false'],
    ['core.attributesFile', home.noAttributes],
    ['core.pager', 'cat'],
    ['core.quotePath', 'false'],
    // An empty value resets the helper list: nothing stores or supplies credentials but our askpass.
    ['credential.helper', ''],
    ['protocol.allow', 'never'],
    ['protocol.https.allow', 'always'],
    ['protocol.http.allow', 'always'],
    ['http.followRedirects', 'false'],
    ['fetch.recurseSubmodules', 'false'],
    ['submodule.recurse', 'false'],
    ['gc.auto', '0'],
    ['maintenance.auto', 'false'],
  ];
}

/** The environment of a hardened git process (without the call's own additions). */
export function hardenedEnv(gitDir: string, home: HostGitHome, config: Array<[string, string]>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of KEPT_ENV) if (process.env[name] !== undefined) env[name] = process.env[name];
  Object.assign(env, {
    GIT_DIR: gitDir,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: home.globalConfig,
    GIT_ATTR_NOSYSTEM: '1',
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_PROTOCOL_FROM_USER: '0',
    GIT_OPTIONAL_LOCKS: '0',
    GIT_PAGER: 'cat',
    GCM_INTERACTIVE: 'never',
    HOME: home.home,
    USERPROFILE: home.home,
    XDG_CONFIG_HOME: home.home,
    // English messages: errors are recognised by their text.
    LC_ALL: 'C',
    GIT_CONFIG_COUNT: String(config.length),
  });
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

export class HostGitError extends Error {
  constructor(
    readonly subcommand: string,
    readonly stderr: string,
    readonly exitCode: number | null,
    readonly reason?: 'timeout' | 'output' | 'cancelled' | 'spawn',
  ) {
    super(`git ${subcommand} failed: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
}

/** Runs one hardened git process and collects its output within the call's bounds. */
export function runHostGit(call: HostGitCall): Promise<HostGitResult> {
  const config = [...hardenedConfig(call.home), ...(call.config ?? [])];
  const env = {
    ...hardenedEnv(call.gitDir, call.home, config),
    ...(call.workTree ? { GIT_WORK_TREE: call.workTree } : {}),
    ...call.env,
  };
  const maxBuffer = call.maxBuffer ?? 64 * 1024 * 1024;
  const sub = call.args[0] ?? 'git';
  return new Promise((resolve, reject) => {
    if (call.signal?.aborted) return reject(new HostGitError(sub, 'cancelled', null, 'cancelled'));
    const posix = process.platform !== 'win32';
    // umask 077: what git writes (mirror objects, and the workspace a run copies from a mirror) is
    // readable by this user only, whatever folder it lands in; exec keeps git the group leader.
    const gitPath = call.gitPath ?? 'git';
    const [cmd, argv] = posix
      ? ['/bin/sh', ['-c', 'umask 077 && exec "$0" "$@"', gitPath, ...call.args]]
      : [gitPath, call.args];
    const child = spawn(cmd, argv, {
      cwd: call.workTree ?? call.gitDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group on POSIX, so a kill also stops git's helpers (remote-https, index-pack).
      detached: posix,
      windowsHide: true,
    });
    if (call.lowPriority && child.pid) {
      try {
        // Set before git starts its checkout workers, which inherit it.
        setPriority(child.pid, constants.priority.PRIORITY_BELOW_NORMAL);
      } catch {
        // gone already, or not allowed: normal priority is only slower for others
      }
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let failure: HostGitError['reason'];
    const kill = (why: NonNullable<HostGitError['reason']>) => {
      failure ??= why;
      try {
        if (posix && child.pid) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // already gone
      }
    };
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBuffer) return kill('output');
      into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    const timer = call.timeoutMs ? setTimeout(() => kill('timeout'), call.timeoutMs) : undefined;
    const onAbort = () => kill('cancelled');
    call.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      if (timer) clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (error) => {
      done();
      reject(new HostGitError(sub, String(error), null, 'spawn'));
    });
    child.on('close', (code) => {
      done();
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (failure) {
        const what =
          failure === 'timeout'
            ? `took longer than ${Math.round((call.timeoutMs ?? 0) / 1000)} s`
            : failure === 'output'
              ? `wrote more than ${maxBuffer} bytes`
              : 'was cancelled';
        return reject(new HostGitError(sub, `${stderr}\ngit ${sub} ${what} and was stopped`, code, failure));
      }
      if (code !== 0) return reject(new HostGitError(sub, stderr || `exit code ${code}`, code));
      resolve({ stdout, stderr });
    });
  });
}

/** A 40- or 64-digit object id, as git prints it; anything else from a record or an answer is refused. */
export function isObjectId(value: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(value);
}

/**
 * A branch name git and GitLab would accept (git check-ref-format's rules), so a name taken from
 * a record or an API answer can be put into a refspec without becoming an option or a pattern.
 */
export function isSafeBranchName(name: string): boolean {
  if (name.length === 0 || name.length > 255 || name.startsWith('-') || name.startsWith('/')) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  if (name.includes('..') || name.includes('@{') || name.includes('//') || name === '@') return false;
  if (name.endsWith('/') || name.endsWith('.') || name.endsWith('.lock')) return false;
  return name.split('/').every((part) => part.length > 0 && !part.startsWith('.') && !part.endsWith('.lock'));
}

/** A failure of host git as a CospecError the caller names (`what` failed). */
export function hostGitFailed(error: unknown, code: 'DIFF_UNAVAILABLE' | 'CLONE_FAILED', what: string): CospecError {
  if (error instanceof CospecError) return error;
  const detail = error instanceof HostGitError ? error.stderr.trim() : String(error);
  return new CospecError(code, what, detail);
}
