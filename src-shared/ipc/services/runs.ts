import { z } from 'zod';
import { method } from '../define';
import { RunRecordSchema, RunSpecSchema } from '../../model/run';

export const RunLogSchema = z.object({ runId: z.string(), lines: z.array(z.string()) });

export const runsContract = {
  list: method({ args: z.tuple([]), result: z.array(RunRecordSchema), doc: 'All runs, newest first.' }),
  get: method({ args: z.tuple([z.string()]), result: RunRecordSchema, doc: 'One run with its state and outputs.' }),
  start: method({
    args: z.tuple([RunSpecSchema]),
    result: RunRecordSchema,
    doc: 'Queues a run; it proceeds in the background.',
  }),
  cancel: method({
    args: z.tuple([z.string()]),
    result: RunRecordSchema,
    doc: 'Stops a run and removes its container.',
  }),
  logs: method({
    args: z.tuple([z.string(), z.object({ tail: z.number().int().min(1).max(100_000).optional() }).default({})]),
    result: z.array(z.string()),
    doc: "The agent's output lines kept for a run.",
  }),
  rerun: method({
    args: z.tuple([
      z.string(),
      z.object({ allow: z.array(z.string().min(1).max(253)).max(20).default([]) }).default({ allow: [] }),
    ]),
    result: RunRecordSchema,
    doc: "Starts a run's task again; `allow` is first added to the user's allowed destinations (as in Settings).",
  }),
  refreshOutputs: method({
    args: z.tuple([z.string()]),
    result: RunRecordSchema,
    doc: 'Re-reads the state of a run’s merge requests and issues from GitLab.',
  }),
};
