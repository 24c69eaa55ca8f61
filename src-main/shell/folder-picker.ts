import type { BaseWindow, Dialog, OpenDialogOptions } from 'electron';
import type { PickFolderOptions } from '../../src-shared/ipc/services/app';

/**
 * Electron's native folder picker as the services' pickFolder seam (ServiceDeps.pickFolder): a
 * sheet on the app window when there is one, so it is modal to the window that asked. The user may
 * create the folder from the dialog, which is what "check out into a new folder" needs.
 */
export function folderPicker(
  dialog: Pick<Dialog, 'showOpenDialog'>,
  parent: () => BaseWindow | undefined,
): (options: PickFolderOptions) => Promise<string | undefined> {
  return async ({ title, defaultPath }) => {
    const options: OpenDialogOptions = {
      title: title ?? 'Choose a folder',
      properties: ['openDirectory', 'createDirectory', 'promptToCreate'],
      ...(defaultPath ? { defaultPath } : {}),
    };
    const window = parent();
    const result =
      window && !window.isDestroyed()
        ? await dialog.showOpenDialog(window, options)
        : await dialog.showOpenDialog(options);
    return result.canceled ? undefined : result.filePaths[0];
  };
}
