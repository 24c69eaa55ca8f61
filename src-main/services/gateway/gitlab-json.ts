import { request, type Dispatcher } from 'undici';
import { z } from 'zod';

/**
 * The few GitLab JSON shapes the gateway reads: created merge requests, issues and notes (for the
 * record) and a project's path (to check a numeric project id against the run's projects).
 * Everything else passes through unread.
 */

export const createdMergeRequestSchema = z.object({
  iid: z.number().int(),
  web_url: z.string(),
  source_branch: z.string(),
  target_branch: z.string(),
  title: z.string(),
});

export const createdIssueSchema = z.object({
  iid: z.number().int(),
  web_url: z.string(),
  title: z.string(),
});

export const createdNoteSchema = z.object({ id: z.number().int() });

const projectSchema = z.object({ id: z.number().int(), path_with_namespace: z.string() });

export function parseJson<T>(schema: z.ZodType<T>, body: Buffer): T | undefined {
  try {
    const result = schema.safeParse(JSON.parse(body.toString('utf8')));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Maps numeric project ids to paths, asking GitLab once per id with the account's token.
 * Failed lookups are not cached, so a transient error does not lock the agent out for the run.
 */
export class ProjectIdResolver {
  private readonly cache = new Map<number, string>();

  constructor(
    private readonly apiBase: string,
    private readonly dispatcher: Dispatcher | undefined,
  ) {}

  async pathOf(id: number, token: string): Promise<string | undefined> {
    const hit = this.cache.get(id);
    if (hit) return hit;
    const res = await request(`${this.apiBase}/projects/${id}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    if (res.statusCode !== 200) return undefined;
    const project = parseJson(projectSchema, body);
    if (!project) return undefined;
    this.cache.set(id, project.path_with_namespace);
    return project.path_with_namespace;
  }
}
