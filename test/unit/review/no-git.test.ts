import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMirrorStore } from '../../../src-main/services/git/mirror';
import { createLogger, memorySink } from '../../../src-main/platform/logger';

// A computer without git (the app clones with isomorphic-git then): no mirror can be used, so the
// review service shows GitLab's diff saying git is missing (service.test.ts covers that message).
const savedPath = process.env.PATH;
afterAll(() => {
  process.env.PATH = savedPath;
});

describe('without git on PATH', () => {
  it('the mirror store says it is not available', async () => {
    process.env.PATH = mkdtempSync(join(tmpdir(), 'cospec-empty-path-'));
    const store = createMirrorStore({
      root: mkdtempSync(join(tmpdir(), 'cospec-mirrors-')),
      logger: createLogger({ sinks: [memorySink()] }),
    });
    expect(await store.available()).toBe(false);
  });
});
