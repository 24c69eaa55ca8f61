import { isRunProject } from './guard';

/**
 * What the gateway removes from every JSON answer before the agent sees it. The agent acts with a
 * person's token, and GitLab shows privileged users more than coding needs: a project's
 * `runners_token` to its maintainers, registration tokens, CI variable values, webhook and deploy
 * tokens, import and mirror URLs with credentials in them. Whatever the endpoint, these go:
 *
 * - a string under a key that names a secret (`*token`, `*secret`, `*password`, `*_key` …) —
 *   booleans and dates beside them (`*_enabled`, `*_expires_at`) stay;
 * - the `value` of a CI variable (an object with `key`, `value` and `variable_type`/`masked`);
 * - user-info in any URL (`https://user:pass@host` → `https://host`), and strings shaped like a
 *   GitLab token (glpat-, glrt-, gldt- … prefixes) wherever they appear, and the account's token;
 * - any project other than the run's (an object with `path_with_namespace`): dropped from lists,
 *   null where it is a field (`forked_from_project`), so lookups show only the run's projects.
 *
 * Plain-text answers (job logs) get the string rules (`scrubTextBody`).
 *
 * Content the agent can read in its own workspace anyway (file text in diffs) is otherwise left
 * as it is: a generic "password=…" rule would rewrite code under review for nothing.
 */

export const REDACTED = '[redacted by coSPEC]';

const SECRET_KEY =
  /(^|_)(token|tokens|secret|secrets|password|passwd|passphrase|private_key|secret_key|api_key|signing_key|credentials?|webhook_token)$/i;
const NOT_SECRET_KEY = /(_enabled|_expires_at|_expires|_type|_scope|_id|_count|_at)$/i;
const GITLAB_TOKEN =
  /\bgl(?:pat|oas|dt|rt|cbt|ptt|ft|imt|agent|soat|ffct|ldt|wt|rtr)-[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]+)*/g;
// GitLab's legacy runner registration tokens start with GR1348941.
const REGISTRATION_TOKEN = /\bGR1348941[A-Za-z0-9_-]{8,}/g;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;

export interface ScrubContext {
  projectPaths: readonly string[];
  /** Exact secrets to mask wherever they appear (the account's token). */
  secrets: readonly string[];
}

function scrubString(value: string, ctx: ScrubContext): string {
  let out = value.replace(URL_USERINFO, '$1').replace(GITLAB_TOKEN, REDACTED).replace(REGISTRATION_TOKEN, REDACTED);
  for (const secret of ctx.secrets) if (secret.length >= 6) out = out.split(secret).join(REDACTED);
  return out;
}

const isOtherProject = (value: unknown, ctx: ScrubContext): boolean =>
  !!value &&
  typeof value === 'object' &&
  !Array.isArray(value) &&
  typeof (value as { path_with_namespace?: unknown }).path_with_namespace === 'string' &&
  !isRunProject(ctx.projectPaths, (value as { path_with_namespace: string }).path_with_namespace);

const isCiVariable = (o: Record<string, unknown>) =>
  typeof o.key === 'string' && 'value' in o && ('variable_type' in o || 'masked' in o);

/** The scrubbed copy of one parsed JSON value. */
export function scrubJson(value: unknown, ctx: ScrubContext): unknown {
  if (typeof value === 'string') return scrubString(value, ctx);
  if (Array.isArray(value)) return value.filter((v) => !isOtherProject(v, ctx)).map((v) => scrubJson(v, ctx));
  if (!value || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const variable = isCiVariable(obj);
  for (const [key, v] of Object.entries(obj)) {
    if (isOtherProject(v, ctx)) out[key] = null;
    else if (typeof v === 'string' && v !== '' && SECRET_KEY.test(key) && !NOT_SECRET_KEY.test(key))
      out[key] = REDACTED;
    else if (variable && key === 'value' && v !== null) out[key] = REDACTED;
    else out[key] = scrubJson(v, ctx);
  }
  return out;
}

/**
 * A text answer (a CI job's log) with the same string rules as JSON strings: URL credentials,
 * GitLab-shaped tokens and the account's token. Read as latin1 so bytes that are not UTF-8 pass
 * through unchanged; every pattern is ASCII.
 */
export function scrubTextBody(body: Buffer, ctx: ScrubContext): Buffer {
  const latin1 = { ...ctx, secrets: ctx.secrets.map((s) => Buffer.from(s, 'utf8').toString('latin1')) };
  return Buffer.from(scrubString(body.toString('latin1'), latin1), 'latin1');
}

/** The scrubbed body, or undefined when it is not JSON (the caller then masks the token only). */
export function scrubJsonBody(body: Buffer, ctx: ScrubContext): Buffer | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  // A single project answer for another project cannot be filtered to nothing: it was refused earlier.
  return Buffer.from(JSON.stringify(scrubJson(parsed, ctx)), 'utf8');
}
