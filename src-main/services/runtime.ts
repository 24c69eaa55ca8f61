import { CospecError } from '../../src-shared/ipc/errors';
import type { ServiceDeps } from './index';
import type { RunGit, RunSandbox } from './runs/ports';

// INTERIM (replaced when src-main/services/git and src-main/services/sandbox land this session).
export function createRuntimeGit(_deps: ServiceDeps): RunGit {
  return {
    clone: () => Promise.reject(new CospecError('CLONE_FAILED', 'Cloning is not available in this build yet.')),
  };
}

export function createRuntimeSandbox(_deps: ServiceDeps): RunSandbox {
  const unavailable = () => Promise.reject(new CospecError('ENGINE_UNAVAILABLE', 'The container sandbox is not available in this build yet.'));
  return { ensureImage: unavailable, execute: unavailable, removeOrphans: async () => undefined };
}
