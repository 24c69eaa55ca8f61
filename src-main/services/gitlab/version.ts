import { CospecError } from '../../../src-shared/ipc/errors';

/**
 * 15.5 is the first release with GET /personal_access_tokens/self ("using a request header",
 * GitLab docs, personal access tokens API), which coSPEC needs to check a token's scopes and expiry
 * before saving it. Older instances are also past GitLab's security maintenance.
 */
export const MIN_GITLAB_VERSION = '15.5';

export function checkGitLabVersion(version: string, host: string): void {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return; // GitLab always sends major.minor; an odd string is not worth refusing over
  const [minMajor, minMinor] = MIN_GITLAB_VERSION.split('.').map(Number) as [number, number];
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major < minMajor || (major === minMajor && minor < minMinor)) {
    throw new CospecError(
      'GITLAB_TOO_OLD',
      `${host} runs GitLab ${version}; coSPEC needs ${MIN_GITLAB_VERSION} or later. Ask your GitLab admin to upgrade.`,
    );
  }
}
