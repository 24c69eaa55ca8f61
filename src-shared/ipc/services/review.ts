import { z } from 'zod';
import { method } from '../define';
import { RunRecordSchema } from '../../model/run';
import {
  AskAgentInputSchema,
  CheckoutInputSchema,
  CheckoutResultSchema,
  CommentInputSchema,
  DiffCrossCheckSchema,
  FileDiffInputSchema,
  FileDiffsInputSchema,
  FollowUpDraftSchema,
  MergeInputSchema,
  MergeRequestReviewSchema,
  MergeRequestSummarySchema,
  ReviewFileSchema,
  ReviewListInputSchema,
  ReviewListItemSchema,
  ReviewNoteSchema,
  ReviewTargetSchema,
} from '../../model/review';

/** Local review of the merge requests a run opened (the data it carries: src-shared/model/review.ts). */
export const reviewContract = {
  followUpDraft: method({
    args: z.tuple([ReviewTargetSchema]),
    result: FollowUpDraftSchema,
    doc: 'The follow-up run "Ask the agent to address these comments" would start: the unresolved threads (file, line, text) as its task, the same agent and allowlist.',
  }),
  askAgent: method({
    args: z.tuple([AskAgentInputSchema]),
    result: RunRecordSchema,
    doc: 'Starts a follow-up run on the MR’s source branch that continues the run (it may fast-forward that branch and push nowhere else new).',
  }),
  list: method({
    args: z.tuple([ReviewListInputSchema]),
    result: z.array(ReviewListItemSchema),
    doc: 'The open merge requests runs opened (per account when accountId is given), refreshed from GitLab, newest first.',
  }),
  checkout: method({
    args: z.tuple([CheckoutInputSchema]),
    result: CheckoutResultSchema,
    doc: "Clones the MR's source branch at its head commit into a new or empty local folder, as the run's account.",
  }),
  get: method({
    args: z.tuple([ReviewTargetSchema]),
    result: MergeRequestReviewSchema,
    doc: "A run's merge request: summary, approvals, merge status, pipeline and its diff computed locally with git.",
  }),
  fileDiff: method({
    args: z.tuple([FileDiffInputSchema]),
    result: ReviewFileSchema,
    doc: 'The full diff of one file that get() marked tooLarge.',
  }),
  fileDiffs: method({
    args: z.tuple([FileDiffsInputSchema]),
    result: z.array(ReviewFileSchema),
    doc: 'The diffs of files get() marked deferred, in the order asked, computed together; a path the MR does not change is left out. A file beyond the single-file limit comes back tooLarge.',
  }),
  crossCheck: method({
    args: z.tuple([ReviewTargetSchema]),
    result: DiffCrossCheckSchema,
    doc: 'Compares the files of the local diff with GitLab’s list of changes (for a get() whose crossCheck is pending).',
  }),
  discussions: method({
    args: z.tuple([ReviewTargetSchema]),
    result: z.array(ReviewNoteSchema),
    doc: 'The MR’s comments, oldest first (line comments carry their position).',
  }),
  comment: method({
    args: z.tuple([CommentInputSchema]),
    result: ReviewNoteSchema,
    doc: 'Adds a general comment, or a comment on one line of the diff.',
  }),
  summary: method({
    args: z.tuple([ReviewTargetSchema]),
    result: MergeRequestSummarySchema,
    doc: 'The MR’s summary (state, approvals, merge status) as GitLab has it now, without the diff; polled while GitLab checks mergeability.',
  }),
  approve: method({
    args: z.tuple([ReviewTargetSchema]),
    result: MergeRequestSummarySchema,
    doc: 'Approves the MR as the run’s account.',
  }),
  unapprove: method({
    args: z.tuple([ReviewTargetSchema]),
    result: MergeRequestSummarySchema,
    doc: 'Revokes the account’s approval.',
  }),
  merge: method({
    args: z.tuple([MergeInputSchema]),
    result: MergeRequestSummarySchema,
    doc: 'Merges the MR now, when GitLab allows it and the account may.',
  }),
  close: method({
    args: z.tuple([ReviewTargetSchema]),
    result: MergeRequestSummarySchema,
    doc: 'Closes the MR without merging.',
  }),
};
