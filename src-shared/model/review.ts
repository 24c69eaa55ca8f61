import { z } from 'zod';
import { AgentChoiceSchema, RunSpecSchema } from './run';

/*
 * Local review of the merge requests a run opened. The diff is computed in main from the run's
 * own clone with git (fetching the MR's branches from GitLab when they are not local) and
 * cross-checked with GitLab's list of changed files; actions go to the GitLab API as the run's
 * account. Files, hunks and changes have the shape react-diff-view consumes (gitdiff-parser's
 * File/Hunk/Change), so the renderer can hand them to <Diff> without converting.
 */

/** Which merge request: one the run with this id opened, in the run's project, as the run's account. */
export const ReviewTargetSchema = z.object({
  runId: z.string().min(1).max(200),
  mrIid: z.number().int().positive(),
});
export type ReviewTarget = z.infer<typeof ReviewTargetSchema>;

export const ReviewUserSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  name: z.string(),
  avatarUrl: z.string().nullable(),
  webUrl: z.string().nullable(),
});
export type ReviewUser = z.infer<typeof ReviewUserSchema>;

export const ReviewPipelineSchema = z.object({
  id: z.number().int(),
  /** GitLab's pipeline status: created, pending, running, success, failed, canceled, skipped, manual … */
  status: z.string(),
  webUrl: z.string().nullable(),
});
export type ReviewPipeline = z.infer<typeof ReviewPipelineSchema>;

export const ReviewApprovalsSchema = z.object({
  approved: z.boolean(),
  approvalsRequired: z.number().int(),
  approvalsLeft: z.number().int(),
  approvedBy: z.array(ReviewUserSchema),
  /** Whether the account this review acts as has approved. */
  userHasApproved: z.boolean(),
  userCanApprove: z.boolean(),
});
export type ReviewApprovals = z.infer<typeof ReviewApprovalsSchema>;

export const MergeRequestStateSchema = z.enum(['opened', 'closed', 'locked', 'merged']);
export type MergeRequestState = z.infer<typeof MergeRequestStateSchema>;

/** GitLab's project setting for squashing commits on merge. */
export const SquashOptionSchema = z.enum(['never', 'always', 'default_on', 'default_off']);
export type SquashOption = z.infer<typeof SquashOptionSchema>;

export const ReviewMergeStatusSchema = z.object({
  /** GitLab's detailed_merge_status (mergeable, not_approved, ci_must_pass, conflict, draft_status …), or its older merge_status. */
  detailed: z.string(),
  /** The account may merge and GitLab reports nothing blocking: show the Merge button enabled. */
  canMerge: z.boolean(),
  /** The account has the permission to merge into the target branch (whatever blocks it now). */
  userCanMerge: z.boolean(),
  hasConflicts: z.boolean(),
  /**
   * GitLab has not finished working out whether it can be merged (preparing a new MR, or checking
   * after a push): not a refusal; ask for the summary again shortly.
   */
  checking: z.boolean(),
  /** Why merging is blocked, in words for the user; absent when canMerge. */
  blockedReason: z.string().optional(),
});
export type ReviewMergeStatus = z.infer<typeof ReviewMergeStatusSchema>;

export const MergeRequestSummarySchema = z.object({
  iid: z.number().int(),
  projectId: z.number().int(),
  projectPath: z.string(),
  title: z.string(),
  description: z.string(),
  state: MergeRequestStateSchema,
  draft: z.boolean(),
  sourceBranch: z.string(),
  targetBranch: z.string(),
  webUrl: z.string(),
  author: ReviewUserSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The MR's head commit on GitLab; pass it to merge() so only what was reviewed gets merged. */
  headSha: z.string().nullable(),
  /** Null when GitLab cannot read the approval rules (or the instance does not expose them). */
  approvals: ReviewApprovalsSchema.nullable(),
  mergeStatus: ReviewMergeStatusSchema,
  pipeline: ReviewPipelineSchema.nullable(),
  /** The project's (or the MR's) squash and delete-source-branch defaults, to preset the merge dialog. */
  squashDefault: z.boolean(),
  /**
   * The project's squash setting: 'always' and 'never' leave the user no choice (GitLab's
   * squash_readonly); null when GitLab does not say.
   */
  squashOption: SquashOptionSchema.nullable(),
  removeSourceBranchDefault: z.boolean(),
});
export type MergeRequestSummary = z.infer<typeof MergeRequestSummarySchema>;

// --- the diff, in gitdiff-parser / react-diff-view shape -------------------------------------

/** One line of a hunk. `content` is the line without its +/-/space marker; line numbers are 1-based. */
export const DiffChangeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('insert'), isInsert: z.literal(true), lineNumber: z.number().int(), content: z.string() }),
  z.object({ type: z.literal('delete'), isDelete: z.literal(true), lineNumber: z.number().int(), content: z.string() }),
  z.object({
    type: z.literal('normal'),
    isNormal: z.literal(true),
    oldLineNumber: z.number().int(),
    newLineNumber: z.number().int(),
    content: z.string(),
  }),
]);
export type DiffChange = z.infer<typeof DiffChangeSchema>;

export const DiffHunkSchema = z.object({
  /** The hunk header, e.g. "@@ -1,4 +1,5 @@ function name". */
  content: z.string(),
  oldStart: z.number().int(),
  newStart: z.number().int(),
  oldLines: z.number().int(),
  newLines: z.number().int(),
  changes: z.array(DiffChangeSchema),
});
export type DiffHunk = z.infer<typeof DiffHunkSchema>;

export const DiffFileTypeSchema = z.enum(['add', 'delete', 'modify', 'rename', 'copy']);

export const ReviewFileSchema = z.object({
  oldPath: z.string(),
  newPath: z.string(),
  type: DiffFileTypeSchema,
  oldMode: z.string(),
  newMode: z.string(),
  oldRevision: z.string(),
  newRevision: z.string(),
  oldEndingNewLine: z.boolean(),
  newEndingNewLine: z.boolean(),
  /** Rename/copy similarity in percent. */
  similarity: z.number().optional(),
  isBinary: z.boolean(),
  /** Hunks were left out because the file's diff is too big to send with the others; fetch them with fileDiff(). */
  tooLarge: z.boolean(),
  /**
   * Hunks were left out only to keep the first answer small: get() sends hunks for a first page of
   * files and lists the rest with their counts (additions, deletions) but no hunks. Fetch them in
   * batches with fileDiffs() when they come into view. Absent means false. Never set with tooLarge.
   */
  deferred: z.boolean().optional(),
  additions: z.number().int(),
  deletions: z.number().int(),
  hunks: z.array(DiffHunkSchema),
});
export type ReviewFile = z.infer<typeof ReviewFileSchema>;

export const DiffCrossCheckSchema = z.object({
  /** False when GitLab's change list could not be read (the local diff is shown anyway). */
  checked: z.boolean(),
  /** The local diff and GitLab's /changes list the same paths. */
  consistent: z.boolean(),
  onlyLocal: z.array(z.string()),
  onlyGitLab: z.array(z.string()),
  /** GitLab cut its own list short (overflow), so missing paths on its side are expected. */
  gitlabOverflow: z.boolean(),
  note: z.string().optional(),
  /**
   * Not compared yet: get() does not wait for GitLab's (slow, MR-sized) list of changes before
   * answering; ask crossCheck() for the comparison. Absent means false.
   */
  pending: z.boolean().optional(),
});
export type DiffCrossCheck = z.infer<typeof DiffCrossCheckSchema>;

export const ReviewDiffSchema = z.object({
  /** 'local': git diff in the run's clone; 'gitlab': the clone was unusable, GitLab's diffs were parsed instead. */
  source: z.enum(['local', 'gitlab']),
  baseSha: z.string(),
  headSha: z.string(),
  files: z.array(ReviewFileSchema),
  stats: z.object({ files: z.number().int(), additions: z.number().int(), deletions: z.number().int() }),
  crossCheck: DiffCrossCheckSchema,
});
export type ReviewDiff = z.infer<typeof ReviewDiffSchema>;

export const MergeRequestReviewSchema = z.object({
  summary: MergeRequestSummarySchema,
  diff: ReviewDiffSchema,
});
export type MergeRequestReview = z.infer<typeof MergeRequestReviewSchema>;

// --- discussion --------------------------------------------------------------------------------

export const DiffPositionSchema = z
  .object({
    /** The file's new path (its old path for a deleted file). */
    path: z.string().min(1).max(4096),
    /** Line in the new version: an added or unchanged line. */
    newLine: z.number().int().positive().optional(),
    /** Line in the old version: a removed line (or, with newLine, an unchanged one). */
    oldLine: z.number().int().positive().optional(),
  })
  .refine((p) => p.newLine !== undefined || p.oldLine !== undefined, 'a line comment needs newLine or oldLine');
export type DiffPosition = z.infer<typeof DiffPositionSchema>;

export const ReviewNoteSchema = z.object({
  id: z.number().int(),
  discussionId: z.string().nullable(),
  body: z.string(),
  author: ReviewUserSchema,
  createdAt: z.string(),
  /** GitLab's own notes ("approved this merge request", "added 1 commit"). */
  system: z.boolean(),
  position: z
    .object({ path: z.string(), newLine: z.number().int().nullable(), oldLine: z.number().int().nullable() })
    .nullable(),
  resolvable: z.boolean(),
  resolved: z.boolean(),
});
export type ReviewNote = z.infer<typeof ReviewNoteSchema>;

export const CommentInputSchema = ReviewTargetSchema.extend({
  body: z.string().trim().min(1).max(1_000_000),
  /** Absent: a general comment on the MR. Present: a comment on that line of the diff. */
  position: DiffPositionSchema.optional(),
});
export type CommentInput = z.input<typeof CommentInputSchema>;

export const MergeInputSchema = ReviewTargetSchema.extend({
  squash: z.boolean().optional(),
  removeSourceBranch: z.boolean().optional(),
  /** The head commit the user reviewed; GitLab refuses (MR_HEAD_CHANGED) if the branch moved since. */
  sha: z
    .string()
    .regex(/^[0-9a-f]{7,64}$/)
    .optional(),
  squashCommitMessage: z.string().max(100_000).optional(),
});
export type MergeInput = z.input<typeof MergeInputSchema>;

export const FileDiffInputSchema = ReviewTargetSchema.extend({ path: z.string().min(1).max(4096) });
export type FileDiffInput = z.input<typeof FileDiffInputSchema>;

/** Up to 100 files at once: the files get() marked deferred that came into view together. */
export const FileDiffsInputSchema = ReviewTargetSchema.extend({
  paths: z.array(z.string().min(1).max(4096)).min(1).max(100),
});
export type FileDiffsInput = z.input<typeof FileDiffsInputSchema>;

export const CheckoutInputSchema = ReviewTargetSchema.extend({
  /** An absolute path to a folder that does not exist yet or is empty; the clone is written there. */
  dir: z.string().min(1).max(4096),
});
export type CheckoutInput = z.input<typeof CheckoutInputSchema>;

export const CheckoutResultSchema = z.object({
  dir: z.string(),
  /** The local branch checked out: the MR's source branch. */
  branch: z.string(),
  /** The commit checked out; always the MR's head commit. */
  head: z.string(),
});
export type CheckoutResult = z.infer<typeof CheckoutResultSchema>;

export const ReviewListInputSchema = z.object({
  /** Only this account's MRs; all connected accounts when absent. */
  accountId: z.string().min(1).max(200).optional(),
});
export type ReviewListInput = z.input<typeof ReviewListInputSchema>;

/** One open MR a run opened, with its state and pipeline as GitLab reports them now. */
export const ReviewListItemSchema = z.object({
  runId: z.string(),
  accountId: z.string(),
  projectPath: z.string(),
  mrIid: z.number().int(),
  title: z.string(),
  state: z.string(),
  webUrl: z.string(),
  sourceBranch: z.string(),
  targetBranch: z.string(),
  /** The head pipeline's status, or null when the MR has none. */
  pipelineStatus: z.string().nullable(),
  updatedAt: z.string(),
});
export type ReviewListItem = z.infer<typeof ReviewListItemSchema>;

/** The follow-up a review would start: its task drawn from the MR's unresolved threads, and the parent's agent and allowlist. */
export const FollowUpDraftSchema = z.object({
  task: z.string(),
  /** How many unresolved threads the task lists (0: there is nothing to address). */
  threads: z.number().int(),
  agent: AgentChoiceSchema,
  allow: z.array(z.string()),
  /** The branch the follow-up works on (the MR's source branch). */
  branch: z.string(),
});
export type FollowUpDraft = z.infer<typeof FollowUpDraftSchema>;

export const AskAgentInputSchema = ReviewTargetSchema.extend({
  task: RunSpecSchema.shape.task,
  agent: AgentChoiceSchema,
  allow: RunSpecSchema.shape.allow,
});
export type AskAgentInput = z.input<typeof AskAgentInputSchema>;
