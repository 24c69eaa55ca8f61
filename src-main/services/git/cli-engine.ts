import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { CospecError } from '../../../src-shared/ipc/errors';
import { ASKPASS_PASSWORD_VAR, ASKPASS_USER_VAR, createGitHelperDir } from './askpass';
import { cancelledError, mapGitCliError, repoLabel } from './errors';
import { lfsWarning } from './lfs';
import { gitProgressParser, overallProgress } from './progress';
import type { CloneEngine, EngineRequest, GitCredentials } from './types';

const run = promisify(execFile);

/** What `git --version` and `git lfs version` said; undefined when git is missing or too old. */
export interface GitInstall {
  path: string;
  version: string;
  lfs: boolean;
}

/** git ≥ 2.31 reads configuration from GIT_CONFIG_COUNT, which keeps settings off the command line and out of .git/config. */
const MIN_VERSION: [number, number] = [2, 31];

export async function detectGit(path = 'git'): Promise<GitInstall | undefined> {
  try {
    const { stdout } = await run(path, ['--version'], { timeout: 10_000 });
    const m = /git version (\d+)\.(\d+)/.exec(stdout);
    if (!m) return undefined;
    const [major, minor] = [Number(m[1]), Number(m[2])];
    if (major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1])) return undefined;
    const lfs = await run(path, ['lfs', 'version'], { timeout: 10_000 }).then(
      () => true,
      () => false,
    );
    return { path, version: stdout.trim(), lfs };
  } catch {
    return undefined;
  }
}

/**
 * The fast clone path: the user's own git, in its own process (so off the Electron main thread).
 * The account's proxy and CA are given as environment configuration, credentials through an
 * askpass script, and the user's credential helpers are switched off so the token is not saved.
 */
export function createCliEngine(install: GitInstall): CloneEngine {
  return {
    name: 'git',
    async clone(req: EngineRequest) {
      if (req.signal.aborted) throw cancelledError();
      const ctx = { url: req.url, branch: req.branch, proxyUrl: req.network?.proxyUrl };
      const creds = await req.credentials();
      const helper = await createGitHelperDir(req.network?.caPem);
      try {
        const args = ['clone', '--progress'];
        if (req.branch) args.push('--branch', req.branch);
        if (req.depth !== undefined) args.push('--depth', String(req.depth));
        args.push('--', req.url, req.dir);
        const env = gitEnv(creds, helper.askpassPath, { caPath: helper.caPath, network: req.network });
        await runClone(install.path, args, env, req, ctx);
        const branch = await readGit(install.path, req.dir, ['symbolic-ref', '--short', 'HEAD']).catch(
          () => req.branch ?? 'HEAD',
        );
        const head = await readGit(install.path, req.dir, ['rev-parse', 'HEAD']).catch(() => {
          throw new CospecError(
            'CLONE_FAILED',
            `${repoLabel(req.url)} has no commits yet (an empty repository). Push a first commit and try again.`,
          );
        });
        const lfs = await lfsWarning(req.dir, 'git', install.lfs);
        return { branch, head, warnings: lfs ? [lfs] : [] };
      } finally {
        await helper.dispose();
      }
    },
  };
}

function gitEnv(
  creds: GitCredentials,
  askpassPath: string,
  opts: { caPath?: string; network?: EngineRequest['network'] },
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      /^GIT_CONFIG_(COUNT|KEY_\d+|VALUE_\d+|PARAMETERS)$/.test(key) ||
      /^(GIT_ASKPASS|SSH_ASKPASS|LC_ALL|LANGUAGE)$/.test(key)
    )
      continue;
    env[key] = value;
  }
  const config: Array<[string, string]> = [
    // An empty value resets the list: no keychain or manager helper stores this token.
    ['credential.helper', ''],
  ];
  delete env.GIT_SSL_NO_VERIFY;
  if (opts.caPath) {
    config.push(['http.sslCAInfo', opts.caPath], ['http.proxySSLCAInfo', opts.caPath]);
    // git's environment variables beat its configuration: the account's bundle must win.
    env.GIT_SSL_CAINFO = opts.caPath;
    delete env.GIT_SSL_CAPATH;
  }
  if (opts.network?.proxyUrl) {
    config.push(['http.proxy', opts.network.proxyUrl]);
  } else if (opts.network) {
    // The account's network decided to go direct (NO_PROXY or no proxy at all): the environment's proxy must not apply.
    for (const name of ['http_proxy', 'https_proxy', 'all_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY'])
      delete env[name];
    env.NO_PROXY = '*';
    env.no_proxy = '*';
  }
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  env.GIT_CONFIG_COUNT = String(config.length);
  env.GIT_ASKPASS = askpassPath;
  env.GIT_TERMINAL_PROMPT = '0';
  env.GCM_INTERACTIVE = 'never';
  // English messages: errors are recognised by their text.
  env.LC_ALL = 'C';
  env[ASKPASS_USER_VAR] = creds.username;
  env[ASKPASS_PASSWORD_VAR] = creds.password;
  return env;
}

function runClone(
  gitPath: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  req: EngineRequest,
  ctx: { url: string; branch?: string; proxyUrl?: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const posix = process.platform !== 'win32';
    // Its own process group on POSIX, so cancel also stops git's helpers (remote-https, index-pack).
    // umask 077: the clone (sources, .git, any credentials a helper caches) is readable by this user
    // only, whatever the folder it lands in; exec keeps git the process group leader.
    const [cmd, argv] = posix ? ['/bin/sh', ['-c', 'umask 077 && exec "$0" "$@"', gitPath, ...args]] : [gitPath, args];
    const child = spawn(cmd, argv, {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: posix,
      windowsHide: true,
    });
    const parser = gitProgressParser((phase, loaded, total) => {
      const { detail, percent } = overallProgress(phase, loaded, total);
      req.onProgress(detail, percent);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => parser.push(chunk));
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (signal: NodeJS.Signals) => {
      try {
        if (posix && child.pid) process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // already gone
      }
    };
    const onAbort = () => {
      kill('SIGTERM');
      killTimer = setTimeout(() => kill('SIGKILL'), 3000);
    };
    req.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      req.signal.removeEventListener('abort', onAbort);
      reject(new CospecError('CLONE_FAILED', `git could not be started (${gitPath}).`, String(error)));
    });
    child.on('close', (code) => {
      req.signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (req.signal.aborted) return reject(cancelledError());
      if (code === 0) return resolve();
      reject(mapGitCliError(parser.messages(), code, ctx));
    });
  });
}

async function readGit(gitPath: string, dir: string, args: string[]): Promise<string> {
  const { stdout } = await run(gitPath, ['-C', dir, ...args], {
    timeout: 30_000,
    env: { ...process.env, LC_ALL: 'C' },
  });
  return stdout.trim();
}
