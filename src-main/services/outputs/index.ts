/**
 * Outputs: what a run left on GitLab (branches pushed, merge requests and issues opened), detected
 * from the gateway's record and the GitLab API, with the commits of a pushed branch listed from the
 * app-owned mirror. Other modules import from here.
 */
export { detectOutputs } from './detect';
export type { DetectRequest } from './detect';
export { mirrorCommitLister } from './mirror-commits';
export type { MirrorCommitsRequest } from './mirror-commits';
