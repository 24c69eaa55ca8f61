import { describe, expect, it } from 'vitest';
import {
  createQuitGuard,
  quitPrompt,
  type QuitChoice,
  type QuitPrompt,
} from '../../../src-main/services/desktop/quit-guard';

function setup(inFlight: number, answer: QuitChoice | Error) {
  let running = inFlight;
  const asked: QuitPrompt[] = [];
  const events: string[] = [];
  let finish: () => void = () => {};
  const idle = new Promise<void>((resolve) => (finish = resolve));
  const guard = createQuitGuard({
    inFlight: () => running,
    cancelAll: async () => {
      events.push('cancelAll');
      running = 0;
    },
    whenIdle: () => idle,
    ask: async (prompt) => {
      asked.push(prompt);
      if (answer instanceof Error) throw answer;
      return answer;
    },
    quitNow: () => events.push('quitNow'),
  });
  return {
    guard,
    asked,
    events,
    finishRuns: async () => {
      running = 0;
      finish();
      await idle;
      await Promise.resolve();
    },
  };
}

describe('quit guard', () => {
  it('quits without asking when no run is in flight', async () => {
    const { guard, asked } = setup(0, 'stay');
    expect(guard.mayQuitNow()).toBe(true);
    expect(await guard.request('quit')).toBe('proceed');
    expect(asked).toEqual([]);
  });

  it('asks with runs in flight; "stay" keeps everything and asks again next time', async () => {
    const { guard, asked, events } = setup(2, 'stay');
    expect(guard.mayQuitNow()).toBe(false);
    expect(await guard.request('quit')).toBe('stay');
    expect(asked[0]).toMatchObject({ message: '2 runs are still in progress' });
    expect(events).toEqual([]);
    expect(guard.mayQuitNow()).toBe(false);
    await guard.request('close-last-window');
    expect(asked).toHaveLength(2);
  });

  it('"cancel" cancels the runs before the quit proceeds', async () => {
    const { guard, events } = setup(1, 'cancel');
    expect(await guard.request('quit')).toBe('proceed');
    expect(events).toEqual(['cancelAll']);
    expect(guard.mayQuitNow()).toBe(true);
  });

  it('"finish in the background" quits only once the runs have ended, without asking again', async () => {
    const { guard, asked, events, finishRuns } = setup(1, 'background');
    expect(await guard.request('close-last-window')).toBe('background');
    expect(guard.mayQuitNow()).toBe(false);
    // The OS or the shell asks again meanwhile (window-all-closed → app.quit): still waiting, no new question.
    expect(await guard.request('quit')).toBe('background');
    expect(asked).toHaveLength(1);
    expect(events).toEqual([]);
    await finishRuns();
    expect(events).toEqual(['quitNow']);
    expect(guard.mayQuitNow()).toBe(true);
  });

  it('coming back (a window reopened) cancels the pending quit', async () => {
    const { guard, events, finishRuns } = setup(1, 'background');
    await guard.request('quit');
    guard.resume();
    await finishRuns();
    expect(events).toEqual([]);
  });

  it('a failed dialog counts as "stay": runs never end without an answer', async () => {
    const { guard, events } = setup(3, new Error('no display'));
    expect(await guard.request('quit')).toBe('stay');
    expect(events).toEqual([]);
  });

  it('offers finish / cancel / stay, with Escape meaning stay', () => {
    const prompt = quitPrompt(1, 'quit');
    expect(prompt.choices).toEqual(['background', 'cancel', 'stay']);
    expect(prompt.buttons).toHaveLength(3);
    expect(prompt.choices[prompt.cancelId]).toBe('stay');
    expect(prompt.message).toBe('A run is still in progress');
  });
});
