import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// Lints snippets as if they lived at a path, with the project's real eslint.config.js,
// so a config edit that drops a layer rule fails here.
async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: process.cwd() });
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rules', { timeout: 120_000 }, () => {
  it('forbid electron in services', async () => {
    const messages = await restrictedImports(
      'src-main/services/x/y.ts',
      "import { app } from 'electron';\nexport const a = app;\n",
    );
    expect(messages.join()).toMatch(/Only src-main\/shell/);
  });

  it('forbid electron and the shell in the browser-mode web host (it runs where Electron cannot)', async () => {
    const code =
      "import { app } from 'electron';\nimport { CONTENT_SECURITY_POLICY } from '../shell/csp';\nexport const a = [app, CONTENT_SECURITY_POLICY];\n";
    expect(await restrictedImports('src-main/web-host/x.ts', code)).toHaveLength(2);
  });

  it('forbid the sandbox from importing the runs service (it owns ExecuteRequest/ExecuteResult)', async () => {
    const code =
      "import type { RunPorts } from '../runs/orchestrator';\nexport { createRunPorts } from '../runs';\nexport type A = RunPorts;\n";
    expect(await restrictedImports('src-main/services/sandbox/x.ts', code)).toHaveLength(2);
    expect(
      await restrictedImports(
        'src-main/services/sandbox/x.ts',
        "import { app } from 'electron';\nexport const a = app;\n",
      ),
    ).toHaveLength(1);
    expect(await restrictedImports('src-main/services/gateway/x.ts', code)).toEqual([]);
  });

  it('allow electron in the shell and the preload', async () => {
    expect(
      await restrictedImports('src-main/shell/x.ts', "import { app } from 'electron';\nexport const a = app;\n"),
    ).toEqual([]);
    expect(
      await restrictedImports(
        'src-main/preload/x.ts',
        "import { ipcRenderer } from 'electron';\nexport const a = ipcRenderer;\n",
      ),
    ).toEqual([]);
  });

  it('forbid Node built-ins and electron in the renderer', async () => {
    const code =
      "import { readFileSync } from 'node:fs';\nimport { ipcRenderer } from 'electron';\nexport const a = [readFileSync, ipcRenderer];\n";
    expect(await restrictedImports('src-renderer/features/x.tsx', code)).toHaveLength(2);
  });

  it('forbid Node built-ins, electron and React in src-shared', async () => {
    const code = "import { join } from 'node:path';\nimport React from 'react';\nexport const a = [join, React];\n";
    expect(await restrictedImports('src-shared/model/x.ts', code)).toHaveLength(2);
  });

  it('forbid the preload from importing Node built-ins', async () => {
    expect(
      await restrictedImports('src-main/preload/x.ts', "import fs from 'node:fs';\nexport const a = fs;\n"),
    ).toHaveLength(1);
  });

  it('forbid the renderer from importing main-process code', async () => {
    const code = "import { createLogger } from '../../src-main/platform/logger';\nexport const a = createLogger;\n";
    expect(await restrictedImports('src-renderer/app/x.ts', code)).toHaveLength(1);
  });

  it('forbid generic components from importing features or the api layer', async () => {
    const code =
      "import { useRuns } from '../api/runs';\nimport { RunDetail } from '../features/runs/RunDetail';\nexport const a = [useRuns, RunDetail];\n";
    expect(await restrictedImports('src-renderer/components/x.tsx', code)).toHaveLength(2);
    expect(await restrictedImports('src-renderer/features/runs/x.tsx', code.replace(/\.\.\//g, '../../'))).toEqual([]);
  });
  it('forbid src-shared/model from importing the IPC contract (the contract imports the model)', async () => {
    const code = "import { reviewContract } from '../ipc/services/review';\nexport const a = reviewContract;\n";
    expect(await restrictedImports('src-shared/model/x.ts', code)).toHaveLength(1);
    const contract = "import { ReviewFileSchema } from '../../model/review';\nexport const a = ReviewFileSchema;\n";
    expect(await restrictedImports('src-shared/ipc/services/x.ts', contract)).toEqual([]);
  });

  it('forbid the api layer from importing features', async () => {
    const code = "import { RunDetail } from '../features/runs/RunDetail';\nexport const a = RunDetail;\n";
    expect(await restrictedImports('src-renderer/api/x.ts', code)).toHaveLength(1);
  });

  it('make services import agents and outputs through their index.ts', async () => {
    const inner =
      "import { resolveAgent } from '../agents/catalog';\nimport { detectOutputs } from '../outputs/detect';\nexport const a = [resolveAgent, detectOutputs];\n";
    expect(await restrictedImports('src-main/services/runs/x.ts', inner)).toHaveLength(2);
    const entry =
      "import { resolveAgent } from '../agents';\nimport { detectOutputs } from '../outputs';\nexport const a = [resolveAgent, detectOutputs];\n";
    expect(await restrictedImports('src-main/services/runs/x.ts', entry)).toEqual([]);
  });
});
