import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CloneEngineName } from './types';

/**
 * Whether the repository tracks files with Git LFS (a `filter=lfs` rule in its root
 * .gitattributes), and if so what the user should know about the files they got.
 */
export async function lfsWarning(
  dir: string,
  engine: CloneEngineName,
  gitLfsInstalled = false,
): Promise<string | undefined> {
  const attributes = await readFile(join(dir, '.gitattributes'), 'utf8').catch(() => '');
  if (!tracksLfs(attributes)) return undefined;
  if (engine === 'git' && gitLfsInstalled) return undefined;
  const why = engine === 'git' ? 'git-lfs is not installed' : "coSPEC's built-in git cannot fetch LFS objects";
  return `This repository stores some files with Git LFS, and ${why}: those files were checked out as small pointer files, not their content. Install git and git-lfs to get them.`;
}

/** Whether a root .gitattributes' text puts files under Git LFS (the one test of it, here and in clone-cache.ts). */
export function tracksLfs(attributes: string): boolean {
  return /\bfilter=lfs\b/.test(attributes);
}
