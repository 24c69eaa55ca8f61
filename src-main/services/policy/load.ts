import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PolicySchema, type Policy } from './schema';

/** Where admins put the policy on each OS; COSPEC_POLICY_PATH overrides it (tests, staged roll-outs). */
export function defaultPolicyPath(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (env.COSPEC_POLICY_PATH) return env.COSPEC_POLICY_PATH;
  if (platform === 'darwin') return '/Library/Application Support/coSPEC/policy.json';
  if (platform === 'win32') return join(env.ProgramData ?? 'C:\\ProgramData', 'coSPEC', 'policy.json');
  return '/etc/cospec/policy.json';
}

export type PolicyState =
  | { status: 'absent'; path: string }
  | { status: 'active'; path: string; policy: Policy }
  /** The file exists but is unreadable or invalid: nothing of it applies, and guarded actions are refused. */
  | { status: 'invalid'; path: string; problems: string[] };

/** Reads and validates the policy file as a whole; a file with any error applies nothing. */
export async function loadPolicy(path: string): Promise<PolicyState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { status: 'absent', path };
    return { status: 'invalid', path, problems: [`cannot read the file (${code ?? String(error)})`] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { status: 'invalid', path, problems: [`not valid JSON: ${(error as Error).message}`] };
  }
  const parsed = PolicySchema.safeParse(json);
  if (!parsed.success) {
    return {
      status: 'invalid',
      path,
      problems: parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
    };
  }
  return { status: 'active', path, policy: parsed.data };
}
