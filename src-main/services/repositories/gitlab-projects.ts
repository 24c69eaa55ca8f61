import { z } from 'zod';
import type { Project } from '../../../src-shared/model/project';
import { DEVELOPER_ACCESS } from '../../../src-shared/model/access-level';
import type { RateLimitWait } from '../gitlab';
import { ApiProjectSchema as GitLabProjectSchema } from '../gitlab/schemas';

/** One authenticated GET on an account's instance (the accounts service supplies it, with CA/proxy). */
export type GitLabGet = (
  accountId: string,
  pathAndQuery: string,
  signal?: AbortSignal,
  /** Told before each wait for GitLab's rate limit, so the screen can say why nothing moves. */
  onRateLimit?: (wait: RateLimitWait) => void,
) => Promise<{ json: unknown; headers: Headers }>;

// The project list needs these fields of GitLab's project entity; everything else is ignored.
const ApiProjectSchema = GitLabProjectSchema.required({
  path_with_namespace: true,
  name: true,
  web_url: true,
  last_activity_at: true,
});

const ProtectedBranchSchema = z.object({ name: z.string() });

const PER_PAGE = 100;

/** Every project where the account has Developer access or higher, across all pages. */
export async function fetchAllProjects(
  get: GitLabGet,
  accountId: string,
  signal?: AbortSignal,
  onRateLimit?: (wait: RateLimitWait) => void,
): Promise<Project[]> {
  const projects: Project[] = [];
  let page: string | null = '1';
  while (page) {
    const query = `membership=true&min_access_level=${DEVELOPER_ACCESS}&order_by=last_activity_at&sort=desc&per_page=${PER_PAGE}&page=${page}`;
    const { json, headers } = await get(accountId, `/projects?${query}`, signal, onRateLimit);
    for (const raw of z.array(ApiProjectSchema).parse(json)) projects.push(toProject(accountId, raw));
    const next = headers.get('x-next-page');
    page = next && next !== page ? next : null;
  }
  return projects;
}

/** Whether the project's default branch is covered by a protected-branch rule (wildcards included). */
export async function isDefaultBranchProtected(
  get: GitLabGet,
  accountId: string,
  project: Pick<Project, 'id' | 'defaultBranch'>,
  signal?: AbortSignal,
  onRateLimit?: (wait: RateLimitWait) => void,
): Promise<boolean | null> {
  if (!project.defaultBranch) return null;
  const { json } = await get(accountId, `/projects/${project.id}/protected_branches?per_page=100`, signal, onRateLimit);
  const rules = z.array(ProtectedBranchSchema).parse(json);
  return rules.some((rule) => wildcardMatch(rule.name, project.defaultBranch as string));
}

function wildcardMatch(pattern: string, name: string): boolean {
  const regex = new RegExp('^' + pattern.split('*').map(escapeRegex).join('.*') + '$');
  return regex.test(name);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function toProject(accountId: string, raw: z.infer<typeof ApiProjectSchema>): Project {
  const access = Math.max(
    raw.permissions?.project_access?.access_level ?? 0,
    raw.permissions?.group_access?.access_level ?? 0,
  );
  return {
    accountId,
    id: raw.id,
    pathWithNamespace: raw.path_with_namespace,
    name: raw.name,
    description: raw.description ?? null,
    defaultBranch: raw.default_branch ?? null,
    visibility: raw.visibility ?? 'private',
    webUrl: raw.web_url,
    httpUrlToRepo: raw.http_url_to_repo,
    lastActivityAt: raw.last_activity_at,
    accessLevel: access || DEVELOPER_ACCESS,
    defaultBranchProtected: null,
    protectionSettingsUrl: `${raw.web_url}/-/settings/repository#js-protected-branches-settings`,
    archived: raw.archived ?? false,
  };
}
