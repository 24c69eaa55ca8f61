import { createGitService, type GitService } from './git';
import type { ServiceDeps } from './index';
import type { RunSandbox } from './runs/ports';
import type { SandboxLimits } from './sandbox/limits';
import { createSandbox, type Sandbox } from './sandbox';

/**
 * Runs clone with the user's git when one is installed (several times faster, see `npm run bench`)
 * and with the built-in isomorphic-git otherwise; COSPEC_CLONE_ENGINE=git|isomorphic-git forces one.
 */
export function createRuntimeGit(deps: ServiceDeps): GitService {
  const forced = process.env.COSPEC_CLONE_ENGINE;
  const engine = forced === 'git' || forced === 'isomorphic-git' ? forced : 'auto';
  return createGitService({ logger: deps.logger, engine });
}

/**
 * The container sandbox over Podman or Docker, adapted to what runs need. The engine is the one
 * chosen in settings (read at each use, so a change applies to the next run), else the app's
 * configured socket, else found where engines usually listen.
 */
export function createRuntimeSandbox(
  deps: ServiceDeps,
  limits: () => SandboxLimits,
  chosenSocket: () => string | undefined,
  mayReachPrivate: (entry: string) => boolean,
): RunSandbox & { diagnose: Sandbox['diagnose'] } {
  let current: { socket: string | undefined; sandbox: Sandbox } | undefined;
  const get = (): Sandbox => {
    const socket = chosenSocket() ?? deps.containerSocket;
    if (current?.socket !== socket || !current) {
      // The engine changed in settings: the old one is let go once its runs have ended.
      if (current)
        void current.sandbox
          .dispose()
          .catch((error: unknown) => deps.logger.warn('sandbox: closing the previous engine failed', { error }));
      current = {
        socket,
        sandbox: createSandbox({
          logger: deps.logger.child({ service: 'sandbox' }),
          dataDir: deps.paths.dataDir,
          limits,
          mayReachPrivate,
          ...(socket ? { socketPath: socket } : {}),
          ...(deps.resourcesDir ? { resourcesDir: deps.resourcesDir } : {}),
        }),
      };
    }
    return current.sandbox;
  };
  return {
    diagnose: () => get().diagnose(),
    async ensureImage(onProgress, signal, want) {
      // A pinned image (managed policy) is used as the admin published it, never rebuilt here.
      if (want.pinned) return want.image;
      return get().ensureImage(onProgress, signal, want.agentNames);
    },
    execute: (req, gitlab, model) => get().execute(req, gitlab, { modelApis: model }),
    removeOrphans: (runIds) => get().removeOrphans(runIds),
  };
}
