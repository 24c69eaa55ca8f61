import { z } from 'zod';
import { method } from '../define';
import { AccountSchema } from '../../model/account';

export const LocalGitLabStatusSchema = z.object({
  /** Whether this build ships the local GitLab stand-in ("try it locally"). */
  available: z.boolean(),
  running: z.boolean(),
  url: z.string().nullable(),
  /** The seeded project a first run can use. */
  sampleProject: z.string().nullable(),
});
export type LocalGitLabStatus = z.infer<typeof LocalGitLabStatusSchema>;

export const localGitLabContract = {
  status: method({
    args: z.tuple([]),
    result: LocalGitLabStatusSchema,
    doc: 'Whether the bundled local GitLab can be started, and where it runs.',
  }),
  start: method({
    args: z.tuple([]),
    result: z.object({ status: LocalGitLabStatusSchema, account: AccountSchema }),
    doc: 'Starts the bundled local GitLab with seeded projects and connects its bot account ("try it locally").',
  }),
  stop: method({
    args: z.tuple([]),
    result: LocalGitLabStatusSchema,
    doc: 'Stops the local GitLab and disconnects its account.',
  }),
};
