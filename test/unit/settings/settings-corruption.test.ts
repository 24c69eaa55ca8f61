import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { createSettingsStore } from '../../../src-main/services/settings/store';

const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'cospec-settings-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const logger = () => createLogger({ sinks: [memorySink()] });
const Section = z.array(z.object({ id: z.string() })).default([]);

describe('settings store', () => {
  it('persists sections across instances in config.json, readable only by the user', () => {
    const dir = scratch();
    createSettingsStore({ dataDir: dir, logger: logger() }).write('accounts', [{ id: 'a' }]);
    const again = createSettingsStore({ dataDir: dir, logger: logger() });
    expect(again.read('accounts', Section)).toEqual([{ id: 'a' }]);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({ accounts: [{ id: 'a' }] });
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);
    expect(again.takeProblem()).toBeUndefined();
  });

  it('backs up an unreadable file, reports SETTINGS_CORRUPT once, and does not pretend it was fine', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'config.json'), '{"accounts": [ {"id": "a"} ');
    const sink = memorySink();
    const store = createSettingsStore({
      dataDir: dir,
      logger: createLogger({ sinks: [sink] }),
      now: () => new Date('2026-11-25T08:00:00Z'),
    });
    const backups = readdirSync(dir).filter((f) => f.startsWith('config.json.corrupt-'));
    expect(backups).toEqual(['config.json.corrupt-2026-11-25T08-00-00-000Z']);
    expect(readFileSync(join(dir, backups[0]!), 'utf8')).toBe('{"accounts": [ {"id": "a"} ');
    const problem = store.takeProblem();
    expect(problem?.code).toBe('SETTINGS_CORRUPT');
    expect(problem?.message).toContain(backups[0]);
    expect(store.takeProblem()).toBeUndefined();
    expect(store.read('accounts', Section)).toEqual([]);
    expect(sink.lines.join('\n')).toContain('backed up');
  });

  it('backs up a file whose section has the wrong shape instead of silently resetting it', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ accounts: [{ id: 42 }], other: { keep: true } }));
    const store = createSettingsStore({ dataDir: dir, logger: logger() });
    expect(store.read('accounts', Section)).toEqual([]);
    expect(store.takeProblem()?.code).toBe('SETTINGS_CORRUPT');
    const backup = readdirSync(dir).find((f) => f.startsWith('config.json.corrupt-'));
    expect(JSON.parse(readFileSync(join(dir, backup!), 'utf8')).accounts).toEqual([{ id: 42 }]);
  });
});
