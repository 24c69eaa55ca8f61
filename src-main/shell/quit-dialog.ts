import type { BrowserWindow, Dialog } from 'electron';
import type { QuitChoice, QuitPrompt } from '../services/desktop/quit-guard';

/** Asks the quit question (src-main/services/desktop/quit-guard.ts) in a native message box. */
export function quitDialog(
  dialog: Pick<Dialog, 'showMessageBox'>,
  window: () => BrowserWindow | undefined,
): (prompt: QuitPrompt) => Promise<QuitChoice> {
  return async (prompt) => {
    const options = {
      type: 'question' as const,
      title: 'coSPEC Desktop',
      message: prompt.message,
      detail: prompt.detail,
      buttons: prompt.buttons,
      defaultId: prompt.defaultId,
      cancelId: prompt.cancelId,
      noLink: true,
    };
    const parent = window();
    const { response } =
      parent && !parent.isDestroyed() && parent.isVisible()
        ? await dialog.showMessageBox(parent, options)
        : await dialog.showMessageBox(options);
    return prompt.choices[response] ?? 'stay';
  };
}
