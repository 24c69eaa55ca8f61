import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A real git repository in a temp folder, for tests that need git to compute diffs. */
export class TempRepo {
  readonly dir: string;
  constructor(dir?: string, options: { bare?: boolean } = {}) {
    this.dir = dir ?? mkdtempSync(join(tmpdir(), 'cospec-review-'));
    mkdirSync(this.dir, { recursive: true });
    this.git('init', '-q', '-b', 'main', ...(options.bare ? ['--bare'] : []));
    if (!options.bare) {
      this.git('config', 'user.email', 'agent@example.test');
      this.git('config', 'user.name', 'Agent');
    }
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
