import { CospecError } from '../../src-shared/ipc/errors';
import type { ServiceDeps } from './index';
import type { RunGit, RunSandbox } from './runs/ports';
import type { SandboxLimits } from './preferences';
import { createSandbox } from './sandbox';

// INTERIM (replaced when src-main/services/git lands this session).
export function createRuntimeGit(_deps: ServiceDeps): RunGit {
  return {
    clone: () => Promise.reject(new CospecError('CLONE_FAILED', 'Cloning is not available in this build yet.')),
  };
}

/** The container sandbox over Podman or Docker, adapted to what runs need. */
export function createRuntimeSandbox(deps: ServiceDeps, limits: () => SandboxLimits): RunSandbox {
  const sandbox = createSandbox({
    logger: deps.logger.child({ service: 'sandbox' }),
    dataDir: deps.paths.dataDir,
    limits,
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
