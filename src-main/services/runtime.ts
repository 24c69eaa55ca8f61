import { createGitService } from './git';
import type { ServiceDeps } from './index';
import type { RunGit, RunSandbox } from './runs/ports';
import type { SandboxLimits } from './preferences';
import { createSandbox } from './sandbox';

/**
 * Runs clone with isomorphic-git (built in, nothing to install, the account's undici dispatcher
 * carries its proxy and CA); COSPEC_CLONE_ENGINE=git switches to the user's git.
 */
export function createRuntimeGit(deps: ServiceDeps): RunGit {
  const engine = process.env.COSPEC_CLONE_ENGINE === 'git' ? 'git' : 'isomorphic-git';
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
