import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private folder for one git process: an askpass script that answers git's prompts from that
 * process's own environment, and the account's CA bundle. The token is never written here (nor
 * onto a command line, nor into .git/config): git gets it through the askpass, which reads the
 * variable that only this git process and its children were given.
 */
export interface GitHelperDir {
  askpassPath: string;
  caPath?: string;
  dispose(): Promise<void>;
}

export const ASKPASS_USER_VAR = 'COSPEC_GIT_USERNAME';
export const ASKPASS_PASSWORD_VAR = 'COSPEC_GIT_PASSWORD';

// Git for Windows runs #! scripts through its bundled sh, so one script serves every OS.
const ASKPASS_SCRIPT = `#!/bin/sh
case "$1" in
  [Uu]sername*) printf '%s\\n' "$${ASKPASS_USER_VAR}" ;;
  *) printf '%s\\n' "$${ASKPASS_PASSWORD_VAR}" ;;
esac
`;

export async function createGitHelperDir(caPem?: string): Promise<GitHelperDir> {
  const dir = await mkdtemp(join(tmpdir(), 'cospec-git-'));
  await chmod(dir, 0o700);
  const askpassPath = join(dir, 'askpass.sh');
  await writeFile(askpassPath, ASKPASS_SCRIPT, { mode: 0o700 });
  let caPath: string | undefined;
  if (caPem) {
    caPath = join(dir, 'ca.pem');
    await writeFile(caPath, caPem, { mode: 0o600 });
  }
  return { askpassPath, caPath, dispose: () => rm(dir, { recursive: true, force: true }) };
}
