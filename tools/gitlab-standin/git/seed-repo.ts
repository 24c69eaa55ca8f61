import { cpSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gitOk } from './run';

export interface SeedCommit {
  branch: string;
  /** Where a new branch starts (a branch name); only for the first commit of that branch. */
  from?: string;
  author: { name: string; email: string };
  /** Seconds since the epoch: seed history is deterministic. */
  time: number;
  message: string;
  /** path → new content, or null to delete. */
  files: Record<string, string | null>;
}

/**
 * Creates a bare repository with real history in one `git fast-import` run (a few ms), so dozens
 * of projects can be seeded per test file.
 */
export async function createSeededRepo(gitDir: string, defaultBranch: string, history: SeedCommit[]): Promise<void> {
  mkdirSync(dirname(gitDir), { recursive: true });
  // No template: no sample hooks to copy, so seeding (and copying filler repos) stays fast.
  await gitOk(['init', '--quiet', '--bare', '--template=', `--initial-branch=${defaultBranch}`, gitDir]);
  const chunks: Buffer[] = [];
  const data = (text: string) => {
    const body = Buffer.from(text, 'utf8');
    chunks.push(Buffer.from(`data ${body.length}\n`), body, Buffer.from('\n'));
  };
  const seen = new Set<string>();
  for (const c of history) {
    const who = `${c.author.name} <${c.author.email}> ${c.time} +0000`;
    chunks.push(Buffer.from(`commit refs/heads/${c.branch}\nauthor ${who}\ncommitter ${who}\n`));
    data(c.message);
    if (!seen.has(c.branch) && c.from) chunks.push(Buffer.from(`from refs/heads/${c.from}\n`));
    seen.add(c.branch);
    for (const [path, content] of Object.entries(c.files)) {
      if (content === null) chunks.push(Buffer.from(`D ${path}\n`));
      else {
        chunks.push(Buffer.from(`M 100644 inline ${path}\n`));
        data(content);
      }
    }
    chunks.push(Buffer.from('\n'));
  }
  await gitOk(['fast-import', '--quiet'], { gitDir, input: Buffer.concat(chunks) });
}

/** A bare repository with no commits and no branches (GitLab's empty_repo, default_branch null). */
export async function createEmptyRepo(gitDir: string): Promise<void> {
  mkdirSync(dirname(gitDir), { recursive: true });
  await gitOk(['init', '--quiet', '--bare', '--template=', '--initial-branch=main', gitDir]);
}

let fillerTemplate: Promise<string> | undefined;

/** The small history every filler project shares, built once per process and copied. */
export async function createFillerRepo(gitDir: string, author: { name: string; email: string }): Promise<void> {
  fillerTemplate ??= (async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'gitlab-standin-template-')), 'filler.git');
    await createSeededRepo(dir, 'main', [
      {
        branch: 'main',
        author,
        time: 1_700_000_000,
        message: 'Initial commit\n',
        files: { 'README.md': '# Service\n\nA filler project of the GitLab stand-in.\n' },
      },
      {
        branch: 'main',
        author,
        time: 1_700_086_400,
        message: 'Add a config file\n',
        files: { 'config.yml': 'replicas: 1\n' },
      },
    ]);
    return dir;
  })();
  const template = await fillerTemplate;
  if (existsSync(gitDir)) throw new Error(`${gitDir} already exists`);
  cpSync(template, gitDir, { recursive: true });
}
