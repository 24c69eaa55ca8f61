/**
 * Which GitLab REST calls an agent may make through the gateway. Default deny: a call passes only
 * when a rule below names its method and path. The agent acts with the user's token, so the list
 * keeps to what coding work on the run's project needs — read the project and its repository,
 * open and update merge requests and issues, comment — and leaves out everything that would let
 * the agent act beyond that, even where GitLab's own permissions would let the account do it:
 *
 * - no token, key or identity endpoints (/personal_access_tokens, /user/keys, impersonation,
 *   /application(s), /admin …) — the agent must never mint or read credentials;
 * - no project settings, members, hooks, variables, deploy keys/tokens, protected-branch rules,
 *   transfer, fork, archive, and no DELETE anywhere (projects, branches, MRs, issues, notes) —
 *   deleting or reconfiguring is the user's call; a branch the agent pushed can still be removed
 *   by `git push --delete`, which the push record shows;
 * - no merge, approve or unapprove of merge requests — review and merge are the human side of the
 *   product;
 * - no commits through the API (POST repository/commits): changes go through `git push`, so the
 *   push record is the complete list of what the agent changed;
 * - no GraphQL (/api/graphql): one endpoint for everything cannot be scoped by path;
 * - project-scoped calls only for the run's project(s); the few global reads (who am I, version,
 *   project and user lookup) expose nothing the account's own UI doesn't.
 *
 * A route passing here is only the first check: the body and query of every call are judged by
 * api-guard.ts (quick actions, fields naming another project), and every JSON answer is cleaned
 * by response-scrub.ts. Protected branches, roles and the rest of GitLab's permission model still
 * apply on top.
 */

export type RecordKind = 'merge_request' | 'issue' | 'note';

export interface ApiRule {
  methods: readonly string[];
  /** Matched against the raw path after `/api/v4/projects/:id` (project rules) or `/api/v4` (global rules). */
  pattern: RegExp;
  /** Responses of a successful POST to this rule become record entries. */
  records?: RecordKind;
  /** Answered by the gateway with the run's projects only (project-list.ts), never forwarded. */
  runProjects?: true;
}

const SEG = '[^/]+';
const NUM = '\\d+';
const R = (s: string) => new RegExp(`^${s}$`);

export const GLOBAL_RULES: readonly ApiRule[] = [
  { methods: ['GET'], pattern: R('/user') }, // who the agent acts as
  { methods: ['GET'], pattern: R('/(version|metadata)') },
  // List and search: answered with the run's projects only; details of other projects stay refused.
  { methods: ['GET'], pattern: R('/projects'), runProjects: true },
  { methods: ['GET'], pattern: R(`/users(/${NUM})?`) }, // look up reviewers and assignees
];

export const PROJECT_RULES: readonly ApiRule[] = [
  { methods: ['GET'], pattern: R('') },
  // Repository reads and branch creation from a ref.
  { methods: ['GET'], pattern: R(`/repository/(branches|tags)(/${SEG})?`) },
  { methods: ['POST'], pattern: R('/repository/branches') },
  { methods: ['GET'], pattern: R(`/repository/(tree|compare|contributors|commits)`) },
  { methods: ['GET'], pattern: R(`/repository/commits/${SEG}(/(diff|refs|statuses|merge_requests))?`) },
  { methods: ['GET'], pattern: R(`/repository/files/${SEG}(/(raw|blame))?`) },
  { methods: ['GET'], pattern: R(`/repository/blobs/${SEG}(/raw)?`) },
  // Merge requests: open, read, update (title, description, labels, close), comment.
  { methods: ['GET'], pattern: R('/merge_requests') },
  { methods: ['POST'], pattern: R('/merge_requests'), records: 'merge_request' },
  { methods: ['GET', 'PUT'], pattern: R(`/merge_requests/${NUM}`) },
  {
    methods: ['GET'],
    pattern: R(`/merge_requests/${NUM}/(changes|diffs|commits|pipelines|participants|approvals|versions(/${NUM})?)`),
  },
  { methods: ['GET'], pattern: R(`/merge_requests/${NUM}/notes`) },
  { methods: ['POST'], pattern: R(`/merge_requests/${NUM}/notes`), records: 'note' },
  { methods: ['GET', 'PUT'], pattern: R(`/merge_requests/${NUM}/notes/${NUM}`) },
  { methods: ['GET', 'POST'], pattern: R(`/merge_requests/${NUM}/discussions(/${SEG}/notes)?`) },
  // Issues: file, read, update, comment.
  { methods: ['GET'], pattern: R('/issues') },
  { methods: ['POST'], pattern: R('/issues'), records: 'issue' },
  { methods: ['GET', 'PUT'], pattern: R(`/issues/${NUM}`) },
  { methods: ['GET'], pattern: R(`/issues/${NUM}/notes`) },
  { methods: ['POST'], pattern: R(`/issues/${NUM}/notes`), records: 'note' },
  { methods: ['GET', 'PUT'], pattern: R(`/issues/${NUM}/notes/${NUM}`) },
  { methods: ['GET', 'POST'], pattern: R(`/issues/${NUM}/discussions(/${SEG}/notes)?`) },
  // CI results, labels, milestones, members: read-only context for the agent.
  { methods: ['GET'], pattern: R(`/pipelines(/${NUM}(/jobs)?)?`) },
  { methods: ['GET'], pattern: R(`/jobs(/${NUM}(/trace)?)?`) },
  { methods: ['GET'], pattern: R('/(labels|milestones|members|members/all)') },
];

/** The first rule allowing this call, or undefined. HEAD is treated as GET. */
export function matchRule(rules: readonly ApiRule[], method: string, rest: string): ApiRule | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  return rules.find((r) => r.methods.includes(m) && r.pattern.test(rest));
}
