import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { PolicySchema, type Policy } from './schema';

/**
 * Where admins put the policy on each OS. Fixed paths only writable by administrators; nothing a
 * user sets (environment, settings, arguments) moves them. On Windows the folder is the stock
 * C:\ProgramData, not %ProgramData%, which any user can set for their own processes.
 */
export function machinePolicyPath(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return '/Library/Application Support/coSPEC/policy.json';
  if (platform === 'win32') return 'C:\\ProgramData\\coSPEC\\policy.json';
  return '/etc/cospec/policy.json';
}

/** The environment variable of the development override, and the flag that must come with it. */
export const POLICY_OVERRIDE_VAR = 'COSPEC_POLICY_PATH';
export const DEVELOPMENT_FLAG_VAR = 'COSPEC_DEVELOPMENT';

export interface PolicyPathChoice {
  path: string;
  /** Why COSPEC_POLICY_PATH was set but not used, for the log. */
  ignoredOverride?: string;
}

/**
 * Which policy file applies. COSPEC_POLICY_PATH is a development and test aid, not a way around
 * the admin: it is honoured only outside the packaged app, with COSPEC_DEVELOPMENT=1, and never
 * while the machine has a policy file (whatever its state, valid or not). So a user can point it
 * only where no admin policy exists — where it can only add restrictions, not remove them.
 */
export function resolvePolicyPath(
  opts: {
    platform?: NodeJS.Platform;
    env?: NodeJS.ProcessEnv;
    /** The installed app (Electron's app.isPackaged); the CLI runs from a checkout and passes false. */
    packaged?: boolean;
    exists?: (path: string) => boolean;
  } = {},
): PolicyPathChoice {
  const env = opts.env ?? process.env;
  const machine = machinePolicyPath(opts.platform);
  const override = env[POLICY_OVERRIDE_VAR];
  if (!override) return { path: machine };
  const ignored = (why: string): PolicyPathChoice => ({
    path: machine,
    ignoredOverride: `${POLICY_OVERRIDE_VAR} is ignored: ${why}; the policy is read from ${machine}.`,
  });
  if (opts.packaged) return ignored('the installed app reads only the machine’s policy');
  if (env[DEVELOPMENT_FLAG_VAR] !== '1') return ignored(`it is a development aid and needs ${DEVELOPMENT_FLAG_VAR}=1`);
  if ((opts.exists ?? existsSync)(machine)) return ignored('this machine has a policy file, which always applies');
  return { path: override };
}

/** The policy path `resolvePolicyPath` chooses for this process (development builds, the CLI). */
export function defaultPolicyPath(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return resolvePolicyPath({ platform, env }).path;
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
