import { z } from 'zod';
import { method } from '../define';

export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  platform: z.enum(['darwin', 'win32', 'linux', 'other']),
  /** 'electron' inside the desktop app, 'harness' when the renderer is driven by tests, 'cli' for the cospec command. */
  host: z.enum(['electron', 'harness', 'cli']),
  dataDir: z.string(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

export const appContract = {
  getInfo: method({ args: z.tuple([]), result: AppInfoSchema, doc: 'Name, version and platform of the running app.' }),
  openExternal: method({
    args: z.tuple([z.string().url()]),
    result: z.undefined(),
    doc: 'Opens a vetted http(s) URL in the system browser.',
  }),
};
