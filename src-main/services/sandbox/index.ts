import { fileURLToPath } from 'node:url';
import type { EngineStatus } from '../../../src-shared/ipc/services/settings';
import type { Logger } from '../../platform/logger';
import type { ExecuteRequest, ExecuteResult } from './request';
import type { ContainerEngine } from './engine';
import { connectEngine } from './engine-locate';
import { executeInSandbox, removeRunContainers, type ExecuteExtras, type GitLabAccess } from './executor';
import { SANDBOX_DEFAULTS, type ContainerLimits } from './limits';
import type { Lookup } from './egress-proxy';
import { BASE_IMAGE, ensureSandboxImage, type Progress } from './image';
import { isEgressShape, type EgressShape } from './egress-route';

/**
 * The local container sandbox: finds the engine, keeps the image, and runs an agent in a
 * container whose only way out is the run's egress proxy, with GitLab reached through the
 * credential gateway so the token never enters the container.
 */

export type { ContainerEngine, ContainerHandle, ContainerSpec } from './engine';
export type { EgressDecision, EgressProxy, EgressProxyOptions, Lookup } from './egress-proxy';
export { startEgressProxy } from './egress-proxy';
export { compileAllowlist, forbiddenAddressReason, parseAllowEntry } from './allowlist';
export { connectEngine, engineLocations, DEFAULT_SOCKET } from './engine-locate';
export type { ExecuteExtras, GitLabAccess } from './executor';
export type { ExecuteRequest, ExecuteResult, SandboxRunPaths } from './request';
export { IN_CONTAINER, RUN_LABEL } from './executor';
export type { ContainerLimits, SandboxLimits } from './limits';
export { SANDBOX_DEFAULTS } from './limits';
export { BASE_IMAGE } from './image';
export type { EgressShape } from './egress-route';
export { EGRESS_SHAPES, isEgressShape } from './egress-route';

function shapeFromEnv(value: string | undefined): EgressShape | 'auto' | undefined {
  return value === 'auto' || isEgressShape(value) ? value : undefined;
}

export interface SandboxDeps {
  logger: Logger;
  /** The engine's socket (or a DOCKER_HOST-style URL); else COSPEC_CONTAINER_SOCKET, DOCKER_HOST, the usual paths. */
  socketPath?: string;
  /** Where DOCKER_HOST, TLS files and ssh keys are read from; process.env by default. */
  engineEnv?: NodeJS.ProcessEnv;
  /** The base image; cospec-sandbox-base (scripts/setup/sandbox-image.sh) by default. */
  imageName?: string;
  dataDir: string;
  /** Where resources/ (sandbox/entrypoint.sh, agents/) is; the repository's by default. */
  resourcesDir?: string;
  /** CPU, memory and pids limits per run, read at each run (policy may change them). */
  limits?: () => Partial<ContainerLimits>;
  /** Name resolution for the egress proxy (tests); the OS resolver by default. */
  lookup?: Lookup;
  /**
   * Whether an allowlist entry may name or resolve to loopback, private, link-local or metadata
   * addresses (the admin's policy decides: PolicyGuard.mayReachPrivate); never by default.
   */
  mayReachPrivate?: (entry: string) => boolean;
  /** How containers reach the egress proxy; else COSPEC_EGRESS_SHAPE, else chosen from the engine. */
  egressShape?: EgressShape | 'auto';
  /**
   * Whether the relay's listener is handed to the proxy where it can be (listener-handoff.ts);
   * else COSPEC_EGRESS_HANDOFF=off turns it off, else on.
   */
  egressHandOff?: boolean;
}

export interface Sandbox {
  /** Builds or finds the image for runs of these agents (the base alone when none needs installing). */
  ensureImage(onProgress: Progress, signal: AbortSignal, agentNames?: string[]): Promise<string>;
  /** Runs the agent of `req` in a fresh container and removes it afterwards; cancel and timeout kill it. */
  execute(req: ExecuteRequest, gitlab: GitLabAccess, extras?: ExecuteExtras): Promise<ExecuteResult>;
  /** Removes containers labelled cospec.run=<id> for these runs. */
  removeOrphans(runIds: string[]): Promise<void>;
  /** Lets go of the engine (a remote engine's ssh session) once the runs started here have ended. */
  dispose(): Promise<void>;
  /** Whether an engine answers, which one, and whether the image is there. */
  diagnose(): Promise<{
    ok: boolean;
    engine?: string;
    version?: string;
    endpoint?: string;
    image?: boolean;
    message?: string;
  }>;
}

const REPO_RESOURCES = fileURLToPath(new URL('../../../resources/', import.meta.url));

export function createSandbox(deps: SandboxDeps): Sandbox {
  let engine: Promise<ContainerEngine> | undefined;
  // Connect lazily and retry after a failure: the user may start the engine while the app runs.
  const getEngine = () => {
    engine ??= connectEngine(deps.socketPath, deps.engineEnv).catch((error: unknown) => {
      engine = undefined;
      throw error;
    });
    return engine;
  };
  const baseImage = deps.imageName ?? BASE_IMAGE;
  const resourcesDir = deps.resourcesDir ?? REPO_RESOURCES;
  const egressShape = deps.egressShape ?? shapeFromEnv(process.env.COSPEC_EGRESS_SHAPE) ?? 'auto';
  const egressHandOff = deps.egressHandOff ?? process.env.COSPEC_EGRESS_HANDOFF !== 'off';
  const active = new Set<Promise<unknown>>();
  const track = <T>(run: Promise<T>): Promise<T> => {
    active.add(run);
    void run.then(
      () => active.delete(run),
      () => active.delete(run),
    );
    return run;
  };

  return {
    async ensureImage(onProgress, signal, agentNames = []) {
      return ensureSandboxImage({ engine: await getEngine(), baseImage, resourcesDir, agentNames, onProgress, signal });
    },
    execute: (req, gitlab, extras) =>
      track(
        executeInSandbox(
          {
            engine: getEngine,
            logger: deps.logger,
            resourcesDir,
            limits: () => {
              const { memoryMb, cpus, pidsLimit } = SANDBOX_DEFAULTS;
              return { memoryMb, cpus, pidsLimit, ...deps.limits?.() };
            },
            ...(deps.lookup ? { lookup: deps.lookup } : {}),
            ...(deps.mayReachPrivate ? { mayReachPrivate: deps.mayReachPrivate } : {}),
            egressShape,
            egressHandOff,
          },
          req,
          gitlab,
          extras,
        ),
      ),
    async dispose() {
      await Promise.allSettled([...active]);
      const connected = await engine?.catch(() => undefined);
      engine = undefined;
      await connected?.close();
    },
    async removeOrphans(runIds) {
      await removeRunContainers(await getEngine(), runIds);
    },
    async diagnose() {
      try {
        const e = await getEngine();
        const v = await e.version();
        const image = (await e.inspectImage(baseImage)) !== undefined;
        return {
          ok: image,
          engine: v.engine,
          version: v.version,
          endpoint: e.endpoint,
          image,
          ...(image
            ? {}
            : {
                message: `The sandbox image ${baseImage} is missing; run \`npm run setup:system\` or start a run to build it.`,
              }),
        };
      } catch (error) {
        return { ok: false, message: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}

/**
 * The sandbox on the engine chosen in settings, read at each use so that a change applies to the
 * next run; `socket()` answers undefined to let the engine be found where engines usually listen.
 */
export function createEngineFollowingSandbox(
  deps: Omit<SandboxDeps, 'socketPath'> & { socket: () => string | undefined },
): Sandbox {
  const { socket: chosenSocket, ...sandboxDeps } = deps;
  let current: { socket: string | undefined; sandbox: Sandbox } | undefined;
  const get = (): Sandbox => {
    const socket = chosenSocket();
    if (current?.socket !== socket || !current) {
      // The engine changed in settings: the old one is let go once its runs have ended.
      if (current)
        void current.sandbox
          .dispose()
          .catch((error: unknown) => deps.logger.warn('sandbox: closing the previous engine failed', { error }));
      current = { socket, sandbox: createSandbox({ ...sandboxDeps, ...(socket ? { socketPath: socket } : {}) }) };
    }
    return current.sandbox;
  };
  return {
    ensureImage: (onProgress, signal, agentNames) => get().ensureImage(onProgress, signal, agentNames),
    execute: (req, gitlab, extras) => get().execute(req, gitlab, extras),
    removeOrphans: (runIds) => get().removeOrphans(runIds),
    diagnose: () => get().diagnose(),
    dispose: async () => current?.sandbox.dispose(),
  };
}

/** What Settings → Engine shows: the sandbox's own diagnosis, or that a stand-in sandbox (tests) is in use. */
export function engineStatusOf(
  sandbox: Pick<Sandbox, 'execute'> & Partial<Pick<Sandbox, 'diagnose'>>,
): Promise<EngineStatus> {
  return sandbox.diagnose?.() ?? Promise.resolve({ ok: true, message: 'A test sandbox is in use.' });
}
