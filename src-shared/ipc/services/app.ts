import { z } from 'zod';
import { method } from '../define';

export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  platform: z.enum(['darwin', 'win32', 'linux', 'other']),
  /**
   * 'electron' inside the desktop app, 'browser' for `cospec serve-web` (browser mode), 'harness' when
   * the renderer is driven by tests, 'cli' for the cospec command.
   */
  host: z.enum(['electron', 'browser', 'harness', 'cli']),
  dataDir: z.string(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

export const PickFolderOptionsSchema = z.object({
  /** The dialog's title. */
  title: z.string().max(200).optional(),
  /** The folder the dialog opens at. */
  defaultPath: z.string().max(4096).optional(),
});
export type PickFolderOptions = z.infer<typeof PickFolderOptionsSchema>;

export const appContract = {
  getInfo: method({ args: z.tuple([]), result: AppInfoSchema, doc: 'Name, version and platform of the running app.' }),
  openExternal: method({
    args: z.tuple([z.string().url()]),
    result: z.undefined(),
    doc: 'Opens a vetted http(s) URL in the system browser.',
  }),
  pickFolder: method({
    args: z.tuple([PickFolderOptionsSchema]),
    result: z.string().min(1).nullable(),
    doc: 'Asks the user for a folder with the OS folder picker (may create one); null when cancelled.',
  }),
};
