import { z } from 'zod';
import { method } from '../define';

export const UpdateStateSchema = z.object({
  status: z.enum([
    'unsupported',
    'disabled',
    'idle',
    'checking',
    'available',
    'not-available',
    'downloading',
    'ready',
    'error',
  ]),
  /** Why updates are unsupported/disabled, or what failed. */
  message: z.string().optional(),
  /** True when the organisation's policy turned updates off. */
  managed: z.boolean(),
  currentVersion: z.string(),
  availableVersion: z.string().optional(),
  releaseNotes: z.string().optional(),
  downloadPercent: z.number().min(0).max(100).optional(),
  lastCheckedAt: z.string().datetime().optional(),
});
export type UpdateState = z.infer<typeof UpdateStateSchema>;

export const updatesContract = {
  getState: method({ args: z.tuple([]), result: UpdateStateSchema, doc: 'Where the update check stands.' }),
  check: method({ args: z.tuple([]), result: UpdateStateSchema, doc: 'Checks the update feed now (never downloads).' }),
  download: method({
    args: z.tuple([]),
    result: UpdateStateSchema,
    doc: 'Downloads the available update, on the user’s request.',
  }),
  installAndRestart: method({
    args: z.tuple([]),
    result: z.undefined(),
    doc: 'Installs a downloaded update and restarts, on the user’s request.',
  }),
};
