import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import type { ModelApiAccess } from '../../../src-main/services/gateway/model-gateway';
import type { ExecuteRequest, ExecuteResult } from '../../../src-main/services/sandbox';
import { runPaths } from '../../../src-main/services/runs/store';
import {
  BASE_IMAGE,
  connectEngine,
  createSandbox,
  EGRESS_SHAPES,
  type ContainerHandle,
  type EgressShape,
  type Lookup,
  type Sandbox,
} from '../../../src-main/services/sandbox';

/**
 * Plumbing for the sandbox suites: real Podman through the app's own sandbox, a scratch data dir
 * per suite, and a way to run a shell command as the run's agent and look inside its container.
 * When the engine or the image is missing (setup not run), `sandboxSkipReason` says so.
 */

export const SOCKET = process.env.COSPEC_CONTAINER_SOCKET ?? '/run/cospec/podman.sock';

/** Why the container suites cannot run here, or undefined when they can. */
export async function sandboxSkipReason(): Promise<string | undefined> {
  if (!SOCKET.includes('://') && !existsSync(SOCKET))
    return `no container engine socket at ${SOCKET}; run \`bash scripts/setup/podman.sh && bash scripts/setup/sandbox-image.sh\``;
  try {
    const engine = await connectEngine(SOCKET);
    if (!(await engine.inspectImage(BASE_IMAGE)))
      return `the image ${BASE_IMAGE} is missing; run \`bash scripts/setup/sandbox-image.sh\``;
  } catch (error) {
    return `the container engine does not answer: ${error instanceof Error ? error.message : String(error)}`;
  }
  return undefined;
}

export interface Harness {
  sandbox: Sandbox;
  dir: string;
  logs: string[];
  cleanup(): Promise<void>;
}

/**
 * Every way a container can reach its egress proxy; each suite that tests the boundary runs with
 * all of them (the tunnel, made for remote engines, works with a local one too).
 */
export { EGRESS_SHAPES };

export async function createHarness(
  opts: {
    lookup?: Lookup;
    /** Entries the "policy" opened to loopback and private addresses (the test servers listen on loopback). */
    mayReachPrivate?: (entry: string) => boolean;
    limits?: { memoryMb?: number; pidsLimit?: number; cpus?: number };
    egressShape?: EgressShape;
    /** Whether the relay's listener is handed to the proxy (the product's default: yes). */
    egressHandOff?: boolean;
    /** Another engine address (a remote engine's DOCKER_HOST) and the environment its keys and certificates come from. */
    engine?: { dockerHost: string; env: NodeJS.ProcessEnv };
  } = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'cospec-sandbox-test-'));
  const sink = memorySink();
  const sandbox = createSandbox({
    logger: createLogger({ level: 'debug', sinks: [sink] }),
    socketPath: opts.engine?.dockerHost ?? SOCKET,
    ...(opts.engine ? { engineEnv: opts.engine.env } : {}),
    dataDir: dir,
    ...(opts.lookup ? { lookup: opts.lookup } : {}),
    ...(opts.mayReachPrivate ? { mayReachPrivate: opts.mayReachPrivate } : {}),
    ...(opts.limits ? { limits: () => opts.limits ?? {} } : {}),
    ...(opts.egressShape ? { egressShape: opts.egressShape } : {}),
    ...(opts.egressHandOff !== undefined ? { egressHandOff: opts.egressHandOff } : {}),
  });
  const cleanup = async () => {
    await sandbox.dispose();
    await rm(dir, { recursive: true, force: true });
  };
  return { sandbox, dir, logs: sink.lines, cleanup };
}

export function sh(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { ...opts, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({
        code: err ? (typeof err.code === 'number' ? err.code : 1) : 0,
        stdout: String(stdout),
        stderr: String(stderr),
      });
    });
  });
}

let counter = 0;

export interface CommandRun {
  result: ExecuteResult;
  lines: string[];
  runId: string;
}

/**
 * Runs `command` as a "command" agent in a fresh container of the sandbox, with an empty git
 * workspace, `allowlist`, and a GitLab instance URL (the gateway's; nothing listens there unless the
 * test starts something). `inside` is called with the running container.
 */
export async function runCommand(
  h: Harness,
  command: string,
  opts: {
    allowlist?: string[];
    instanceUrl?: string;
    timeoutMs?: number;
    signal?: AbortSignal;
    workspace?: string;
    projectPath?: string;
    projectId?: number;
    dispatcher?: Dispatcher;
    task?: string;
    agent?: ExecuteRequest['spec']['agent'];
    /** The image to run (an agent layer); the base image by default. */
    image?: string;
    /** Model APIs the run's model gateway serves (their keys stay outside the container). */
    modelApis?: ModelApiAccess[];
    token?: string;
    onLine?: (line: string) => void;
    inside?: (c: ContainerHandle) => Promise<void>;
  } = {},
): Promise<CommandRun> {
  const runId = `t${process.pid}-${++counter}-${Date.now().toString(36)}`;
  const paths = runPaths(join(h.dir, 'runs'), runId);
  await mkdir(paths.dir, { recursive: true });
  if (opts.workspace) paths.workspace = opts.workspace;
  else {
    await mkdir(paths.workspace, { recursive: true });
    await sh('git', ['init', '-q', paths.workspace]);
  }
  const lines: string[] = [];
  const instanceUrl = opts.instanceUrl ?? 'http://127.0.0.1:9';
  const projectPath = opts.projectPath ?? 'acme/web-app';
  const req: ExecuteRequest = {
    runId,
    paths,
    image: opts.image ?? BASE_IMAGE,
    allowlist: opts.allowlist ?? [],
    project: {
      instanceUrl,
      projectId: opts.projectId ?? 1,
    },
    spec: {
      accountId: 'acct',
      projectPath,
      task: opts.task ?? 'Test task',
      agent: opts.agent ?? { kind: 'command', command },
      allow: [],
    },
    timeoutMs: opts.timeoutMs ?? 120_000,
    onLog: (line) => {
      lines.push(line);
      opts.onLine?.(line);
    },
    signal: opts.signal ?? new AbortController().signal,
  };
  const result = await h.sandbox.execute(
    req,
    {
      getCredentials: async () => ({ token: opts.token ?? 'glpat-test-token-never-inside' }),
      projectPaths: [projectPath],
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
    },
    {
      ...(opts.inside ? { onContainer: opts.inside } : {}),
      ...(opts.modelApis ? { modelApis: opts.modelApis } : {}),
    },
  );
  return { result, lines, runId };
}
