import { git, gitOk } from './run';

/** Reading and changing a bare repository the way GitLab's Gitaly would for the REST API. */

export interface CommitInfo {
  id: string;
  parent_ids: string[];
  author_name: string;
  author_email: string;
  authored_date: string;
  committer_name: string;
  committer_email: string;
  committed_date: string;
  message: string;
}

export interface FileDiff {
  old_path: string;
  new_path: string;
  a_mode: string;
  b_mode: string;
  new_file: boolean;
  renamed_file: boolean;
  deleted_file: boolean;
  diff: string;
}

const ZERO = '0000000000000000000000000000000000000000';
const FORMAT = '%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B%x1e';

export async function revParse(gitDir: string, ref: string): Promise<string | null> {
  const r = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { gitDir });
  return r.code === 0 ? r.stdout.trim() : null;
}

export async function listBranches(gitDir: string): Promise<Array<{ name: string; sha: string }>> {
  const out = await gitOk(['for-each-ref', '--format=%(refname:strip=2)%00%(objectname)', 'refs/heads'], { gitDir });
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name = '', sha = ''] = line.split('\0');
      return { name, sha };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function commits(
  gitDir: string,
  range: string[],
  options: { maxCount?: number; skip?: number; path?: string } = {},
): Promise<CommitInfo[]> {
  const args = ['log', `--format=${FORMAT}`];
  if (options.maxCount !== undefined) args.push(`--max-count=${options.maxCount}`);
  if (options.skip) args.push(`--skip=${options.skip}`);
  args.push(...range, '--');
  if (options.path) args.push(options.path);
  const r = await git(args, { gitDir });
  if (r.code !== 0) return [];
  return r.stdout
    .split('\x1e')
    .map((s) => s.replace(/^\n/, ''))
    .filter(Boolean)
    .map(parseCommit);
}

export async function commit(gitDir: string, ref: string): Promise<CommitInfo | null> {
  const sha = await revParse(gitDir, ref);
  if (!sha) return null;
  return (await commits(gitDir, [sha], { maxCount: 1 }))[0] ?? null;
}

function parseCommit(record: string): CommitInfo {
  const [id = '', parents = '', an = '', ae = '', ad = '', cn = '', ce = '', cd = '', message = ''] =
    record.split('\0');
  return {
    id,
    parent_ids: parents.split(' ').filter(Boolean),
    author_name: an,
    author_email: ae,
    authored_date: ad,
    committer_name: cn,
    committer_email: ce,
    committed_date: cd,
    message,
  };
}

export async function mergeBase(gitDir: string, a: string, b: string): Promise<string | null> {
  const r = await git(['merge-base', a, b], { gitDir });
  return r.code === 0 ? r.stdout.trim() : null;
}

export async function isAncestor(gitDir: string, ancestor: string, descendant: string): Promise<boolean> {
  return (await git(['merge-base', '--is-ancestor', ancestor, descendant], { gitDir })).code === 0;
}

/** Per-file diffs between two commits, in GitLab's shape (the `diff` text starts at the first hunk). */
export async function diff(gitDir: string, from: string, to: string): Promise<FileDiff[]> {
  const out = await gitOk(['diff', '--no-color', '--no-ext-diff', '-M', '--full-index', from, to], { gitDir });
  const blocks = out.split(/^(?=diff --git )/m).filter((b) => b.startsWith('diff --git '));
  return blocks.map(parseBlock);
}

function parseBlock(block: string): FileDiff {
  const lines = block.split('\n');
  const head = /^diff --git a\/(.*) b\/(.*)$/.exec(lines[0] ?? '');
  const file: FileDiff = {
    old_path: head?.[1] ?? '',
    new_path: head?.[2] ?? '',
    a_mode: '',
    b_mode: '',
    new_file: false,
    renamed_file: false,
    deleted_file: false,
    diff: '',
  };
  let i = 1;
  for (; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.startsWith('@@') || line.startsWith('Binary files')) break;
    let m: RegExpExecArray | null;
    if ((m = /^new file mode (\d+)/.exec(line))) Object.assign(file, { new_file: true, a_mode: '0', b_mode: m[1] });
    else if ((m = /^deleted file mode (\d+)/.exec(line)))
      Object.assign(file, { deleted_file: true, a_mode: m[1], b_mode: '0' });
    else if ((m = /^old mode (\d+)/.exec(line))) file.a_mode = m[1] ?? '';
    else if ((m = /^new mode (\d+)/.exec(line))) file.b_mode = m[1] ?? '';
    else if ((m = /^rename from (.*)/.exec(line))) Object.assign(file, { renamed_file: true, old_path: m[1] });
    else if ((m = /^rename to (.*)/.exec(line))) file.new_path = m[1] ?? '';
    else if ((m = /^index \w+\.\.\w+ (\d+)/.exec(line))) {
      file.a_mode ||= m[1] ?? '';
      file.b_mode ||= m[1] ?? '';
    }
  }
  if (!file.a_mode) file.a_mode = file.b_mode || '100644';
  if (!file.b_mode) file.b_mode = file.a_mode;
  file.diff = lines.slice(i).join('\n');
  if (file.diff && !file.diff.endsWith('\n')) file.diff += '\n';
  return file;
}

export interface MergeResult {
  ok: boolean;
  sha?: string;
  conflicts?: string;
}

/** Whether `source` merges cleanly into `target`, without changing anything. */
export async function canMerge(gitDir: string, target: string, source: string): Promise<boolean> {
  return (
    (await git(['merge-tree', '--write-tree', '--name-only', '--no-messages', target, source], { gitDir })).code === 0
  );
}

/**
 * Merges `source` into branch `target` with a merge commit, as GitLab's default merge method does:
 * the tree comes from `git merge-tree`, the commit from `commit-tree`, and the ref moves with a
 * compare-and-swap so a concurrent push is not lost.
 */
export async function mergeBranches(
  gitDir: string,
  target: string,
  source: string,
  message: string,
  committer: { name: string; email: string },
): Promise<MergeResult> {
  const targetSha = await revParse(gitDir, `refs/heads/${target}`);
  const sourceSha = await revParse(gitDir, source);
  if (!targetSha || !sourceSha) return { ok: false, conflicts: 'missing branch' };
  const tree = await git(['merge-tree', '--write-tree', '--no-messages', targetSha, sourceSha], { gitDir });
  if (tree.code !== 0) return { ok: false, conflicts: tree.stdout };
  const treeSha = tree.stdout.split('\n')[0]?.trim() ?? '';
  const env = {
    GIT_AUTHOR_NAME: committer.name,
    GIT_AUTHOR_EMAIL: committer.email,
    GIT_COMMITTER_NAME: committer.name,
    GIT_COMMITTER_EMAIL: committer.email,
  };
  const sha = (
    await gitOk(['commit-tree', treeSha, '-p', targetSha, '-p', sourceSha, '-m', message], { gitDir, env })
  ).trim();
  await gitOk(['update-ref', `refs/heads/${target}`, sha, targetSha], { gitDir });
  return { ok: true, sha };
}

/**
 * GitLab's squash (Gitaly's UserSquash): one commit with the source head's tree whose parent is
 * where the branch left the target, authored by the MR's author and committed by the merger.
 */
export async function squashCommit(
  gitDir: string,
  baseSha: string,
  headSha: string,
  message: string,
  author: { name: string; email: string },
  committer: { name: string; email: string },
): Promise<string> {
  const env = {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: committer.name,
    GIT_COMMITTER_EMAIL: committer.email,
  };
  return (await gitOk(['commit-tree', `${headSha}^{tree}`, '-p', baseSha, '-m', message], { gitDir, env })).trim();
}

/** Points a ref (any namespace, e.g. refs/merge-requests/1/head) at a commit. */
export async function setRef(gitDir: string, ref: string, sha: string): Promise<void> {
  await gitOk(['update-ref', ref, sha], { gitDir });
}

export async function createBranch(gitDir: string, name: string, sha: string): Promise<void> {
  await gitOk(['update-ref', `refs/heads/${name}`, sha, ZERO], { gitDir });
}

export async function deleteBranch(gitDir: string, name: string): Promise<void> {
  await gitOk(['update-ref', '-d', `refs/heads/${name}`], { gitDir });
}

export async function isValidBranchName(name: string): Promise<boolean> {
  return (await git(['check-ref-format', '--branch', name])).code === 0;
}

/** A file's content at a ref, or null. */
export async function readFile(gitDir: string, ref: string, path: string): Promise<Buffer | null> {
  const r = await git(['cat-file', 'blob', `${ref}:${path}`], { gitDir });
  return r.code === 0 ? Buffer.from(r.stdout, 'utf8') : null;
}

export interface BranchInfo {
  name: string;
  commit: CommitInfo;
  /** Whether the branch is contained in `mergedInto` (GitLab's "merged" flag). */
  merged: boolean;
}

const REF_FORMAT = [
  '%(refname:strip=2)',
  '%(objectname)',
  '%(parent)',
  '%(authorname)',
  '%(authoremail:trim)',
  '%(authordate:iso-strict)',
  '%(committername)',
  '%(committeremail:trim)',
  '%(committerdate:iso-strict)',
  '%(contents)',
].join('%00');

/** Branches with their head commits in two git runs, however many branches there are. */
export async function branchesWithCommits(
  gitDir: string,
  mergedInto: string,
  pattern = 'refs/heads',
): Promise<BranchInfo[]> {
  const [all, merged] = await Promise.all([
    gitOk(['for-each-ref', `--format=${REF_FORMAT}%1e`, pattern], { gitDir }),
    git(['for-each-ref', '--format=%(refname:strip=2)', `--merged=refs/heads/${mergedInto}`, pattern], { gitDir }),
  ]);
  const mergedNames = new Set(merged.code === 0 ? merged.stdout.split('\n').filter(Boolean) : []);
  return all
    .split('\x1e')
    .map((s) => s.replace(/^\n/, ''))
    .filter(Boolean)
    .map((record) => {
      // The ref format is the commit format with the branch name in front.
      const cut = record.indexOf('\0');
      const name = record.slice(0, cut);
      return { name, commit: parseCommit(record.slice(cut + 1)), merged: name !== mergedInto && mergedNames.has(name) };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
