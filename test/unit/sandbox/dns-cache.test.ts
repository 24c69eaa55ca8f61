import { describe, expect, it } from 'vitest';
import { cachedLookup, MAX_AGE_MS, MAX_NAMES } from '../../../src-main/services/sandbox/dns-cache';
import type { Lookup } from '../../../src-main/services/sandbox/egress-proxy';

/** A resolver that counts its calls and answers from a table the test can change. */
function resolver(table: Record<string, string>) {
  const calls: string[] = [];
  const pending: Array<() => void> = [];
  let hold = false;
  const lookup: Lookup = async (host) => {
    calls.push(host);
    if (hold) await new Promise<void>((resolve) => pending.push(resolve));
    const address = table[host];
    if (!address) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return [{ address, family: 4 }];
  };
  return {
    lookup,
    calls,
    hold: () => void (hold = true),
    release: () => {
      hold = false;
      for (const resolve of pending.splice(0)) resolve();
    },
  };
}

describe('the egress proxy’s lookup cache', () => {
  it('asks once for concurrent lookups of one name', async () => {
    const r = resolver({ 'registry.test': '203.0.113.5' });
    const lookup = cachedLookup(r.lookup);
    r.hold();
    const answers = Promise.all(Array.from({ length: 8 }, () => lookup('registry.test')));
    r.release();
    for (const a of await answers) expect(a).toEqual([{ address: '203.0.113.5', family: 4 }]);
    expect(r.calls).toEqual(['registry.test']);
  });

  it('keeps an answer for MAX_AGE_MS only, then asks the resolver again (a changed answer is seen)', async () => {
    const table: Record<string, string> = { 'moves.test': '203.0.113.5' };
    const r = resolver(table);
    let now = 1000;
    const lookup = cachedLookup(r.lookup, () => now);
    expect(await lookup('moves.test')).toEqual([{ address: '203.0.113.5', family: 4 }]);
    now += MAX_AGE_MS - 1;
    table['moves.test'] = '127.0.0.1';
    expect(await lookup('moves.test')).toEqual([{ address: '203.0.113.5', family: 4 }]);
    now += 1;
    expect(await lookup('moves.test')).toEqual([{ address: '127.0.0.1', family: 4 }]);
    expect(r.calls).toEqual(['moves.test', 'moves.test']);
  });

  it('never keeps a failure', async () => {
    const table: Record<string, string> = {};
    const r = resolver(table);
    const lookup = cachedLookup(r.lookup, () => 0);
    await expect(lookup('late.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    table['late.test'] = '203.0.113.9';
    expect(await lookup('late.test')).toEqual([{ address: '203.0.113.9', family: 4 }]);
    expect(r.calls).toEqual(['late.test', 'late.test']);
  });

  it('hands each caller its own copy (one caller cannot change what the next one gets)', async () => {
    const r = resolver({ 'a.test': '203.0.113.5' });
    const lookup = cachedLookup(r.lookup, () => 0);
    const first = await lookup('a.test');
    first[0]!.address = '127.0.0.1';
    first.push({ address: '10.0.0.1', family: 4 });
    expect(await lookup('a.test')).toEqual([{ address: '203.0.113.5', family: 4 }]);
  });

  it('keeps at most MAX_NAMES names, dropping the oldest', async () => {
    const table = Object.fromEntries(Array.from({ length: MAX_NAMES + 1 }, (_, i) => [`n${i}.test`, '203.0.113.5']));
    const r = resolver(table);
    const lookup = cachedLookup(r.lookup, () => 0);
    for (let i = 0; i <= MAX_NAMES; i++) await lookup(`n${i}.test`);
    await lookup(`n${MAX_NAMES}.test`);
    expect(r.calls.length).toBe(MAX_NAMES + 1);
    await lookup('n0.test');
    expect(r.calls.length).toBe(MAX_NAMES + 2);
  });
});
