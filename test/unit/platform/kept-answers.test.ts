import { expect, it } from 'vitest';
import { keptAnswers } from '../../../src-main/platform/kept-answers';

/** A source whose answers the test releases one by one, counting the questions. */
function source() {
  const asked: string[] = [];
  const waiting: Array<{ settle: (fail?: boolean) => void }> = [];
  const ask = (key: string, value: string) => () => {
    asked.push(key);
    return new Promise<string>((resolve, reject) =>
      waiting.push({ settle: (fail) => (fail ? reject(new Error(`${key} failed`)) : resolve(value)) }),
    );
  };
  return { asked, ask, settle: (fail?: boolean) => waiting.shift()?.settle(fail) };
}

it('shares one question among everyone asking meanwhile, and keeps the answer for its TTL only', async () => {
  let now = 0;
  const kept = keptAnswers<string>({ ttlMs: 100, now: () => now });
  const s = source();
  const first = [kept.get('k', s.ask('k', 'a')), kept.get('k', s.ask('k', 'b'))];
  s.settle();
  expect(await Promise.all(first)).toEqual(['a', 'a']);
  now = 99;
  expect(await kept.get('k', s.ask('k', 'c'))).toBe('a');
  now = 100;
  const later = kept.get('k', s.ask('k', 'd'));
  s.settle();
  expect(await later).toBe('d');
  expect(s.asked).toEqual(['k', 'k']);
});

it('drops a failure at once: those waiting see it, the next asker asks again', async () => {
  const kept = keptAnswers<string>({ ttlMs: 1_000 });
  const s = source();
  const waiting = [kept.get('k', s.ask('k', 'x')), kept.get('k', s.ask('k', 'y'))];
  s.settle(true);
  for (const w of waiting) await expect(w).rejects.toThrow('k failed');
  const again = kept.get('k', s.ask('k', 'z'));
  s.settle();
  expect(await again).toBe('z');
  expect(s.asked).toEqual(['k', 'k']);
});

it('forgets a key at once, an answer still on its way included, and bounds how many keys it keeps', async () => {
  const kept = keptAnswers<string>({ ttlMs: 1_000, maxKeys: 2 });
  const s = source();
  const before = kept.get('k', s.ask('k', 'old'));
  kept.forget('k');
  const after = kept.get('k', s.ask('k', 'new'));
  s.settle();
  s.settle();
  expect([await before, await after]).toEqual(['old', 'new']);
  expect(await kept.get('k', s.ask('k', 'never'))).toBe('new');

  for (const key of ['a', 'b']) {
    const p = kept.get(key, s.ask(key, key));
    s.settle();
    await p;
  }
  // Three keys asked for, two kept: the oldest ('k') went first.
  expect(await kept.get('b', s.ask('b', 'never'))).toBe('b');
  const k = kept.get('k', s.ask('k', 'asked again'));
  s.settle();
  expect(await k).toBe('asked again');
  expect(s.asked).toEqual(['k', 'k', 'a', 'b', 'k']);
});
