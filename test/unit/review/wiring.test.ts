import { describe, expect, it } from 'vitest';
import type { AccountsService } from '../../../src-main/services/accounts';
import type { RunsService } from '../../../src-main/services/runs';
import { createReviewService, reviewGitLabFromAccounts, type ReviewDeps } from '../../../src-main/services/review';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { CospecError } from '../../../src-shared/ipc/errors';
import { reviewContract } from '../../../src-shared/ipc/services/review';
import type { Account } from '../../../src-shared/model/account';

const unusedMirrors: ReviewDeps['mirrors'] = {
  available: async () => false,
  open: () => Promise.reject(new Error('unused')),
  usage: async () => [],
  discard: async () => undefined,
};

// The composition root wires review from the real accounts and runs services; these types must fit as they are.
export function wire(accounts: AccountsService, runs: RunsService, logger: ReviewDeps['logger']) {
  return createReviewService({
    runs: {
      get: (id) => runs.orchestrator.get(id),
      list: () => runs.orchestrator.list(),
    },
    gitlabFor: reviewGitLabFromAccounts(accounts),
    logger,
    mirrors: unusedMirrors,
    git: { clone: () => Promise.reject(new Error('unused')) },
  });
}

describe('review wiring', () => {
  it('implements every method of the contract', () => {
    const service = createReviewService({
      runs: { get: async () => Promise.reject(new Error('unused')) },
      mirrors: unusedMirrors,
      git: { clone: () => Promise.reject(new Error('unused')) },
      gitlabFor: () => {
        throw new Error('unused');
      },
      logger: createLogger({ sinks: [memorySink()] }),
    });
    expect(Object.keys(service.handlers).sort()).toEqual(Object.keys(reviewContract).sort());
  });

  it('reports a disconnected account as NOT_FOUND with a next step', () => {
    const gitlabFor = reviewGitLabFromAccounts({
      get: (): Account | undefined => undefined,
      networkFor: () => {
        throw new Error('unused');
      },
      withToken: () => Promise.reject(new Error('unused')),
      credentialsFor: () => Promise.reject(new Error('unused')),
    });
    expect(() => gitlabFor('gone')).toThrow(CospecError);
    expect(() => gitlabFor('gone')).toThrow(/Reconnect/);
  });
});
