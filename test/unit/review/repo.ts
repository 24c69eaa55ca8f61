import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runHostGit, type HostGitHome } from '../../../src-main/services/git/host-git';
import type { RepoGit } from '../../../src-main/services/review/git';

let home: HostGitHome | undefined;
/** An empty config home for hardened git in tests (git/host-git.ts), made once per test file. */
export function testGitHome(): HostGitHome {
  if (home) return home;
  const dir = mkdtempSync(join(tmpdir(), 'cospec-git-home-'));
  mkdirSync(join(dir, 'no-hooks'));
  writeFileSync(join(dir, '.gitconfig'), '');
  writeFileSync(join(dir, 'no-attributes'), '');
  home = {
    home: dir,
    globalConfig: join(dir, '.gitconfig'),
    noHooks: join(dir, 'no-hooks'),
    noAttributes: join(dir, 'no-attributes'),
  };
  return home;
}

/** A real git repository in a temp folder, for tests that need git to compute diffs. */
export class TempRepo {
  readonly dir: string;
  private readonly bare: boolean;
  constructor(dir?: string, options: { bare?: boolean } = {}) {
    this.dir = dir ?? mkdtempSync(join(tmpdir(), 'cospec-review-'));
    this.bare = options.bare === true;
    mkdirSync(this.dir, { recursive: true });
    this.git('init', '-q', '-b', 'main', ...(options.bare ? ['--bare'] : []));
    if (!options.bare) {
      this.git('config', 'user.email', 'agent@example.test');
      this.git('config', 'user.name', 'Agent');
    }
  }

  /** The repository as review's diff code reads it: hardened git on its git directory (as on a mirror). */
  get reader(): RepoGit {
    const gitDir = this.bare ? this.dir : join(this.dir, '.git');
    return { git: (args, options = {}) => runHostGit({ gitDir, home: testGitHome(), args, ...options }) };
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-C', this.dir, ...args], {
      encoding: 'utf8',
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
  }

  write(path: string, content: string | Buffer, mode?: number): this {
    const full = join(this.dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    if (mode !== undefined) chmodSync(full, mode);
    return this;
  }

  remove(path: string): this {
    rmSync(join(this.dir, path));
    return this;
  }

  commit(message: string): string {
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this.head();
  }

  head(ref = 'HEAD'): string {
    return this.git('rev-parse', ref).trim();
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function lines(count: number, prefix = 'line'): string {
  return Array.from({ length: count }, (_, i) => `${prefix} ${i + 1}`).join('\n') + '\n';
}
