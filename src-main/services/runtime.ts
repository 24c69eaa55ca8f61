import { createGitService } from './git';
import type { ServiceDeps } from './index';
import type { RunGit, RunSandbox } from './runs/ports';
import type { SandboxLimits } from './preferences';
import { createSandbox } from './sandbox';

/**
 * Runs clone with the user's git when one is installed (several times faster, see `npm run bench`)
 * and with the built-in isomorphic-git otherwise; COSPEC_CLONE_ENGINE=git|isomorphic-git forces one.
 */
export function createRuntimeGit(deps: ServiceDeps): RunGit {
  const forced = process.env.COSPEC_CLONE_ENGINE;
  const engine = forced === 'git' || forced === 'isomorphic-git' ? forced : 'auto';
  return createGitService({ logger: deps.logger, engine });
}

/** The container sandbox over Podman or Docker, adapted to what runs need. */
export function createRuntimeSandbox(deps: ServiceDeps, limits: () => SandboxLimits): RunSandbox {
  const sandbox = createSandbox({
    logger: deps.logger.child({ service: 'sandbox' }),
    dataDir: deps.paths.dataDir,
    limits,
    ...(deps.containerSocket ? { socketPath: deps.containerSocket } : {}),
    ...(deps.resourcesDir ? { resourcesDir: deps.resourcesDir } : {}),
  });
  return {
    async ensureImage(onProgress, signal, want) {
      // A pinned image (managed policy) is used as the admin published it, never rebuilt here.
      if (want.pinned) return want.image;
      return sandbox.ensureImage(onProgress, signal, want.agentNames);
    },
    execute: (req, gitlab, env) => sandbox.execute(req, gitlab, { env }),
    removeOrphans: (runIds) => sandbox.removeOrphans(runIds),
  };
}
