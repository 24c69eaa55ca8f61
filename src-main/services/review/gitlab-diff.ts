import { z } from 'zod';
import type { DiffCrossCheck, ReviewFile } from '../../../src-shared/model/review';
import { expectOk, getAllPages, type ReviewGitLab } from './gitlab-api';
import { mrPath, type ApiProject } from './merge-request';
import { countChanges, parsePatch } from './parse';

const ApiChangeSchema = z.object({
  old_path: z.string(),
  new_path: z.string(),
  a_mode: z.string().nullable().optional(),
  b_mode: z.string().nullable().optional(),
  diff: z.string().nullable().optional(),
  new_file: z.boolean().optional(),
  renamed_file: z.boolean().optional(),
  deleted_file: z.boolean().optional(),
  too_large: z.boolean().nullable().optional(),
});
type ApiChange = z.infer<typeof ApiChangeSchema>;

const ChangesAnswerSchema = z.object({ changes: z.array(ApiChangeSchema), overflow: z.boolean().optional() });

export interface GitLabChanges {
  changes: ApiChange[];
  overflow: boolean;
}

/**
 * GitLab's own list of the MR's changes: /changes (GitLab ≤ 17, deprecated later), else the
 * paginated /diffs that replaced it.
 */
export async function fetchGitLabChanges(gl: ReviewGitLab, project: ApiProject, iid: number): Promise<GitLabChanges> {
  const answer = await gl.call('GET', `${mrPath(project, iid)}/changes`);
  if (answer.status !== 404) {
    const data = expectOk(gl, answer, ChangesAnswerSchema, `The changes of !${iid}`);
    return { changes: data.changes, overflow: data.overflow ?? false };
  }
  const changes = await getAllPages(gl, `${mrPath(project, iid)}/diffs`, ApiChangeSchema, `The diffs of !${iid}`);
  return { changes, overflow: false };
}

/** Compares the paths each side touched (old and new paths both, so a rename one side detected and the other did not still agrees). */
export function crossCheck(
  local: ReadonlyArray<Pick<ReviewFile, 'oldPath' | 'newPath'>>,
  remote: GitLabChanges,
): DiffCrossCheck {
  const localPaths = new Set(local.flatMap((f) => [f.oldPath, f.newPath]));
  const remotePaths = new Set(remote.changes.flatMap((c) => [c.old_path, c.new_path]));
  const onlyLocal = [...localPaths].filter((p) => !remotePaths.has(p)).sort();
  const onlyGitLab = [...remotePaths].filter((p) => !localPaths.has(p)).sort();
  // GitLab truncates its list for huge MRs: paths only we have are then expected.
  const consistent = onlyGitLab.length === 0 && (onlyLocal.length === 0 || remote.overflow);
  return {
    checked: true,
    consistent,
    onlyLocal,
    onlyGitLab,
    gitlabOverflow: remote.overflow,
    ...(consistent
      ? {}
      : {
          note: 'The local diff and GitLab list different files. The branch may have moved since GitLab computed its diff; refresh to compare again.',
        }),
  };
}

/** When no local diff can be computed (no git, GitLab unreachable over git): the same ReviewFile shape, parsed from GitLab's per-file diffs. */
export function filesFromGitLab(remote: GitLabChanges): ReviewFile[] {
  return remote.changes.map(fileFromChange);
}

function fileFromChange(change: ApiChange): ReviewFile {
  const type: ReviewFile['type'] = change.new_file
    ? 'add'
    : change.deleted_file
      ? 'delete'
      : change.renamed_file
        ? 'rename'
        : 'modify';
  const text = change.diff ?? '';
  const isBinary = /^Binary files /m.test(text);
  // GitLab sends only the hunks of each file; a minimal header lets gitdiff-parser read them.
  const parsed =
    text && !isBinary
      ? parsePatch(`diff --git a/f b/f\n--- a/f\n+++ b/f\n${text.endsWith('\n') ? text : text + '\n'}`)[0]
      : undefined;
  const hunks = parsed?.hunks ?? [];
  const { additions, deletions } = countChanges(hunks);
  return {
    oldPath: change.old_path,
    newPath: change.new_path,
    type,
    oldMode: type === 'add' ? '' : (change.a_mode ?? ''),
    newMode: type === 'delete' ? '' : (change.b_mode ?? ''),
    oldRevision: '',
    newRevision: '',
    oldEndingNewLine: parsed?.oldEndingNewLine ?? true,
    newEndingNewLine: parsed?.newEndingNewLine ?? true,
    isBinary,
    // GitLab leaves the diff of a too-large file empty.
    tooLarge: change.too_large === true,
    additions,
    deletions,
    hunks,
  };
}
