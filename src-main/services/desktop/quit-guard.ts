/**
 * What happens to runs in flight when the user quits or closes the last window. Plain logic: the
 * shell (src-main/index.ts) asks through a native dialog and carries out the answer, so runs never
 * die without the user having chosen it.
 */
export type QuitChoice = 'background' | 'cancel' | 'stay';
export type QuitTrigger = 'quit' | 'close-last-window';
/** proceed: let the quit (or close) happen; stay: keep everything; background: drop the window, quit when runs end. */
export type QuitOutcome = 'proceed' | 'stay' | 'background';

export interface QuitPrompt {
  message: string;
  detail: string;
  /** Button labels in the order of `choices`. */
  buttons: string[];
  choices: QuitChoice[];
  defaultId: number;
  /** Escape / closing the dialog: stay, the choice that loses nothing. */
  cancelId: number;
}

export function quitPrompt(inFlight: number, trigger: QuitTrigger): QuitPrompt {
  const runs = inFlight === 1 ? 'A run is' : `${inFlight} runs are`;
  const choices: QuitChoice[] = ['background', 'cancel', 'stay'];
  return {
    message: `${runs} still in progress`,
    detail:
      trigger === 'quit'
        ? 'coSPEC can finish them in the background and quit when they are done, or cancel them now (their containers are stopped and removed).'
        : 'Closing the window can leave them finishing in the background (coSPEC quits when they are done), or cancel them now.',
    buttons: ['Finish in Background', inFlight === 1 ? 'Cancel Run and Quit' : 'Cancel Runs and Quit', 'Don’t Quit'],
    choices,
    defaultId: 0,
    cancelId: 2,
  };
}

export interface QuitGuardDeps {
  /** Runs queued or running in this process. */
  inFlight(): number;
  /** Cancels every run in flight and resolves once they have ended (recorded as cancelled). */
  cancelAll(): Promise<void>;
  /** Resolves when no run is in flight any more. */
  whenIdle(): Promise<void>;
  /** Asks the user; rejections count as "stay". */
  ask(prompt: QuitPrompt): Promise<QuitChoice>;
  /** Called once the runs left to finish in the background have ended: quit now. */
  quitNow(): void;
}

export interface QuitGuard {
  /** Synchronous check for before-quit / close: true when quitting needs no question (or was answered). */
  mayQuitNow(): boolean;
  /** Asks when runs are in flight and carries out cancelling or waiting; says what the shell should do. */
  request(trigger: QuitTrigger): Promise<QuitOutcome>;
  /** The user came back (a window was reopened): an earlier "finish in the background" no longer quits. */
  resume(): void;
}

export function createQuitGuard(deps: QuitGuardDeps): QuitGuard {
  let state: 'idle' | 'asking' | 'background' | 'allowed' = 'idle';
  let generation = 0;
  return {
    mayQuitNow: () => state === 'allowed' || (state === 'idle' && deps.inFlight() === 0),
    async request(trigger) {
      if (state === 'allowed') return 'proceed';
      if (state === 'background' || state === 'asking') return state === 'background' ? 'background' : 'stay';
      const count = deps.inFlight();
      if (count === 0) {
        state = 'allowed';
        return 'proceed';
      }
      state = 'asking';
      const choice = await deps.ask(quitPrompt(count, trigger)).catch((): QuitChoice => 'stay');
      if (choice === 'stay') {
        state = 'idle';
        return 'stay';
      }
      if (choice === 'cancel') {
        await deps.cancelAll();
        state = 'allowed';
        return 'proceed';
      }
      state = 'background';
      const mine = ++generation;
      void deps.whenIdle().then(() => {
        if (state !== 'background' || mine !== generation) return;
        state = 'allowed';
        deps.quitNow();
      });
      return 'background';
    },
    resume() {
      if (state === 'background') state = 'idle';
      generation += 1;
    },
  };
}
