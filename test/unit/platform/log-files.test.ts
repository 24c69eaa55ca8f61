import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, fileSink } from '../../../src-main/platform/logger';
import { RunLog } from '../../../src-main/services/runs/run-log';

describe('log files', () => {
  it('rotates the main log past its size, keeping the newest lines and a bounded number of old files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cospec-log-'));
    const path = join(dir, 'logs', 'main.log');
    const logger = createLogger({ sinks: [fileSink(path, { maxBytes: 2000, keep: 2 })] });
    for (let i = 0; i < 200; i++) logger.info('line', { i });
    expect(statSync(path).size).toBeLessThanOrEqual(2000);
    expect(existsSync(`${path}.1`)).toBe(true);
    expect(existsSync(`${path}.2`)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
    const last = readFileSync(path, 'utf8').trim().split('\n').pop() ?? '';
    expect(JSON.parse(last)).toMatchObject({ message: 'line', i: 199 });
    expect(statSync(path).mode & 0o077).toBe(0);
  });

  it('writes a run log in the order lines were produced, readable by the user only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cospec-runlog-'));
    const path = join(dir, 'run', 'agent.log');
    const errors: unknown[] = [];
    const log = new RunLog(path, (e) => errors.push(e));
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 97)}`);
    for (const line of lines) log.append(line);
    await log.close();
    expect(readFileSync(path, 'utf8').split('\n').slice(0, -1)).toEqual(lines);
    expect(statSync(path).mode & 0o077).toBe(0);
    expect(errors).toEqual([]);
  });
});
