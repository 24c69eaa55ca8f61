import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayRecorder, readGatewayLog } from '../../../src-main/services/gateway/recorder';

const TOKEN = 'opaque-oauth-token-without-prefix-42';
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function recorder() {
  const dir = await mkdtemp(join(tmpdir(), 'gw-rec-'));
  dirs.push(dir);
  return new GatewayRecorder('run-1', 'https://gitlab.example.com', ['acme/web-app'], dir, () => [TOKEN]);
}

describe('gateway recorder', () => {
  it('scrubs a token the agent smuggled into a title from the record and the log', async () => {
    const rec = await recorder();
    rec.add('gateway.issue', {
      at: 't',
      projectPath: 'acme/web-app',
      iid: 1,
      webUrl: 'https://gitlab.example.com/acme/web-app/-/issues/1',
      title: `leak ${TOKEN}`,
    });
    expect(JSON.stringify(rec.snapshot())).not.toContain(TOKEN);
    expect(await readFile(rec.logPath, 'utf8')).not.toContain(TOKEN);
  });

  it('rebuilds the record from the log, skipping a half-written last line', async () => {
    const rec = await recorder();
    rec.add('gateway.push', {
      at: 't',
      projectPath: 'acme/web-app',
      ref: 'refs/heads/x',
      branch: 'x',
      oldSha: '0'.repeat(40),
      newSha: 'a'.repeat(40),
      change: 'created',
      result: 'ok',
    });
    rec.add('gateway.merge_request', {
      at: 't',
      projectPath: 'acme/web-app',
      iid: 2,
      webUrl: 'u',
      sourceBranch: 'x',
      targetBranch: 'main',
      title: 'T',
    });
    rec.note('warn', 'gateway.tls_error', { error: 'unknown ca' });
    await appendFile(rec.logPath, '{"message":"gateway.issue","iid":');
    const rebuilt = await readGatewayLog(rec.logPath, 'run-1', 'https://gitlab.example.com', ['acme/web-app']);
    expect(rebuilt).toEqual(rec.snapshot());
  });

  it('gives an empty record for a run whose gateway never wrote', async () => {
    const rebuilt = await readGatewayLog('/nonexistent/gateway.log', 'r', 'u', []);
    expect(rebuilt.pushes).toEqual([]);
  });
});
