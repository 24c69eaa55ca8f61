import type { RateLimitWait } from '../gitlab';
import type { z } from 'zod';
import type { Dispatcher } from 'undici';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { Account } from '../../../src-shared/model/account';
import type { ModelApi, RunOutput, RunRecord, RunSpec } from '../../../src-shared/model/run';
import { AGENT_ADAPTERS, resolveAgent } from '../agents';
import type { GatewayRecord } from '../gateway';
import type { ModelApiAccess } from '../gateway/model-gateway';
import { detectOutputs, mirrorCommitLister } from '../outputs';
import { formatHost, normaliseHost } from '../../platform/host';
import type { MirrorAccess, MirrorStore } from '../git/mirror';
import type { CloneCache } from '../git/clone-cache';
import type { CloneEngineName } from '../git/types';
import type { Logger } from '../../platform/logger';
import type { PolicyGuard } from '../policy';
import type { Sandbox } from '../sandbox';
import type { SandboxLimits } from '../sandbox/limits';
import type { GitLabGet } from '../repositories/gitlab-projects';
import { gitCredentialsOf } from '../accounts/git-credentials';
import type { AccountAccess } from '../accounts/access';
import { ApiProjectSchema as GitLabProjectSchema } from '../gitlab/schemas';
import type { ResolvedProject, RunPorts } from './orchestrator';

/** What runs need from accounts: the API, credentials and network of the run's account. */
export type RunAccounts = Pick<AccountAccess, 'get' | 'apiGet' | 'credentialsFor' | 'networkFor'>;

/** The cloner (src-main/services/git). */
export interface RunGit {
  clone(req: {
    url: string;
    dir: string;
    branch?: string;
    credentials: () => Promise<{ username: string; password: string }>;
    dispatcher?: Dispatcher;
    /** The same CA and proxy as plain settings, for the git CLI path. */
    network?: { caPem?: string; proxyUrl?: string };
    onProgress?: (detail: string, percent?: number) => void;
    signal?: AbortSignal;
  }): Promise<{ head: string }>;
  /** Which clone path a clone with these network settings takes (the clone cache uses the same). */
  engineFor?(req: {
    dispatcher?: Dispatcher;
    network?: { caPem?: string; proxyUrl?: string };
  }): Promise<CloneEngineName>;
}

/**
 * The container sandbox with its egress proxy and credential gateway (src-main/services/sandbox),
 * as runs use it; createRunPorts below is the one adapter between a run and the sandbox.
 */
export type RunSandbox = Pick<Sandbox, 'ensureImage' | 'execute' | 'removeOrphans'>;

export interface RunPortsDeps {
  accounts: RunAccounts;
  git: RunGit;
  sandbox: RunSandbox;
  policy: PolicyGuard;
  /** The user's own extra egress entries from settings (applied under the policy). */
  userAllowlist: () => string[];
  /** An agent's model API key from secure storage (added to its model calls outside the container). */
  modelKey(secretKey: string): Promise<string | undefined>;
  /** Where a model API's calls go (an override for an organisation's gateway or a stand-in); the real API by default. */
  modelUpstream?(api: ModelApi): string;
  /** Image and resource limits after policy and user settings. */
  limits(): SandboxLimits;
  /** The app-owned repositories outputs are read from (never the run's workspace). */
  mirrors: MirrorStore;
  /** Workspaces of repeat runs are copied from the project's mirror, brought up to date first (git/clone-cache.ts). */
  cloneCache?: CloneCache;
  logger: Logger;
  /** The branch prefix and ci.skip for agent pushes, after policy and user settings. */
  pushRules(): { prefix: string; ciSkip: boolean };
}

const ApiProjectSchema = GitLabProjectSchema.required({ web_url: true });

/**
 * An archived GitLab project is read-only: pushes are refused ("You can't push code to an archived
 * project.") and so are merge requests, issues and notes. A run there could only fail at its end.
 */
export function archivedProject(projectPath: string, instanceUrl: string): CospecError {
  return new CospecError(
    'PROJECT_ARCHIVED',
    `${projectPath} is archived on ${new URL(instanceUrl).host}: GitLab refuses pushes, merge requests and issues there, so an agent could not deliver anything. Unarchive it on GitLab (Settings → General → Advanced) or choose another project.`,
  );
}

/** Why no run can work on this project at all (archived, or an empty repository), or undefined. */
function unrunnable(
  projectPath: string,
  project: z.infer<typeof ApiProjectSchema>,
  instanceUrl: string,
): CospecError | undefined {
  if (project.archived) return archivedProject(projectPath, instanceUrl);
  // Nothing to clone, whatever branch is named: a clone would fail with a message about refs.
  if (project.empty_repo === true)
    return new CospecError(
      'INVALID_INPUT',
      `${projectPath} is an empty repository (nothing has been pushed to it yet). Push a first commit to it on GitLab, then start the run again.`,
    );
  return undefined;
}

/**
 * The allowlist entry of a run's GitLab instance: its host and its one port, always written out, so
 * the entry opens only what the credential gateway serves (an https instance's port 80 stays closed).
 */
export function egressHostOf(instanceUrl: string): string {
  const url = new URL(instanceUrl);
  const port = url.port || (url.protocol === 'http:' ? '80' : '443');
  return `${formatHost(normaliseHost(url.hostname) ?? url.hostname)}:${port}`;
}

/** The error of a run whose agent has no model key stored: what is missing and where to add it. */
export function missingModelKey(agentName: string, keyLabel: string): CospecError {
  const label = AGENT_ADAPTERS.find((a) => a.name === agentName)?.label ?? agentName;
  return new CospecError(
    'INVALID_INPUT',
    `${label} needs an ${keyLabel}, and none is stored. Add it under Settings → Agents → ${label}, then start the run again.`,
  );
}

/** Connects the orchestrator to the real services: accounts + GitLab API, policy, the cloner, the sandbox, output detection. */
export function createRunPorts(deps: RunPortsDeps): RunPorts {
  const account = (accountId: string): Account => {
    const found = deps.accounts.get(accountId);
    if (!found)
      throw new CospecError(
        'NOT_FOUND',
        `There is no connected account ${accountId}. Connect it under Integrations → GitLab.`,
      );
    return found;
  };

  return {
    async resolveProject(spec: RunSpec, onRateLimit): Promise<ResolvedProject> {
      const acc = account(spec.accountId);
      const { json } = await deps.accounts.apiGet(
        spec.accountId,
        `/projects/${encodeURIComponent(spec.projectPath)}`,
        undefined,
        onRateLimit,
      );
      const project = ApiProjectSchema.parse(json);
      const refusal = unrunnable(spec.projectPath, project, acc.instanceUrl);
      if (refusal) throw refusal;
      if (!project.default_branch && !spec.branch) {
        throw new CospecError(
          'INVALID_INPUT',
          `${spec.projectPath} has no default branch (an empty repository?). Push a first commit or name a branch.`,
        );
      }
      return {
        instanceUrl: acc.instanceUrl,
        projectId: project.id,
        webUrl: project.web_url,
        httpUrlToRepo: project.http_url_to_repo,
        defaultBranch: project.default_branch ?? spec.branch ?? 'main',
      };
    },

    async assertRunAllowed(spec) {
      const resolved = resolveAgent(spec.agent);
      deps.policy.assertRunAllowed(spec);
      // Refused before a run exists: without its key the agent could only fail, after minutes of image build and clone.
      if (resolved.modelKey && !(await deps.modelKey(resolved.modelKey.secretKey)))
        throw missingModelKey(resolved.name, resolved.modelKey.label);
      // Refused before a run exists too: GitLab would refuse everything the agent delivers (archived),
      // or there is nothing to clone (empty).
      let project: z.infer<typeof ApiProjectSchema>;
      try {
        const { json } = await deps.accounts.apiGet(
          spec.accountId,
          `/projects/${encodeURIComponent(spec.projectPath)}`,
        );
        project = ApiProjectSchema.parse(json);
      } catch {
        // Anything else (not found, network, sign-in) fails the run at its first step, with its own diagnosis.
        return;
      }
      const refusal = unrunnable(spec.projectPath, project, account(spec.accountId).instanceUrl);
      if (refusal) throw refusal;
    },

    allowlistFor(spec, project) {
      const base = deps.policy.egressAllowlist([...deps.userAllowlist(), ...spec.allow]).value;
      // The run's own GitLab instance is always reachable (through the credential gateway). Model APIs
      // are not listed: the agent reaches them only through the model gateway, which holds the key.
      return [...new Set([egressHostOf(project.instanceUrl), ...base])];
    },

    async ensureImage(onProgress, signal, spec) {
      const { image, imagePinned } = deps.limits();
      // A pinned image (managed policy) is used as the admin published it, never rebuilt here.
      if (imagePinned) return image;
      const agent = resolveAgent(spec.agent);
      return deps.sandbox.ensureImage(onProgress, signal, agent.name === 'command' ? [] : [agent.name]);
    },

    async clone({ spec, project, dir, onProgress, signal, ended }) {
      const { dispatcher, caPem, proxyUrl } = deps.accounts.networkFor(spec.accountId);
      const branch = spec.branch ?? project.defaultBranch;
      const credentials = () => gitCredentials(deps.accounts, spec.accountId);
      const network = { ...(caPem ? { caPem } : {}), ...(proxyUrl ? { proxyUrl } : {}) };
      const direct = () =>
        deps.git.clone({
          url: project.httpUrlToRepo,
          dir,
          branch,
          dispatcher,
          network,
          onProgress,
          signal,
          credentials,
        });
      if (!deps.cloneCache) return { head: (await direct()).head };
      // The cache fetches and copies with the clone path the run would clone with.
      const engine = (await deps.git.engineFor?.({ dispatcher, network })) ?? 'git';
      const { head } = await deps.cloneCache.cloneOr(
        {
          key: { accountId: spec.accountId, projectId: project.projectId },
          // On the account's own instance URL, where its credentials belong (as collectRunOutputs fetches).
          fetchUrl: `${project.instanceUrl.replace(/\/+$/, '')}/${spec.projectPath}.git`,
          url: project.httpUrlToRepo,
          dir,
          branch,
          defaultBranch: project.defaultBranch,
          access: async () => ({
            ...(await credentials()),
            ...(caPem ? { caPem } : {}),
            ...(proxyUrl ? { proxyUrl } : {}),
          }),
          engine,
          dispatcher,
          onProgress,
          signal,
          // The next run's checkout is prepared once this one's sandbox has stopped (git/prepared-checkout.ts).
          prepareAfter: ended,
        },
        direct,
      );
      return { head };
    },

    async execute(req) {
      const { dispatcher } = deps.accounts.networkFor(req.spec.accountId);
      const agent = resolveAgent(req.spec.agent);
      const model: ModelApiAccess[] = [];
      if (agent.modelKey) {
        const { api, secretKey, label } = agent.modelKey;
        // Checked at start too; the key may have been removed since.
        if (!(await deps.modelKey(secretKey))) throw missingModelKey(agent.name, label);
        const upstream = deps.modelUpstream?.(api);
        model.push({ api, getKey: () => deps.modelKey(secretKey), ...(upstream ? { upstream } : {}) });
      }
      return deps.sandbox.execute(
        req,
        {
          getCredentials: async () => ({ token: (await deps.accounts.credentialsFor(req.spec.accountId)).token }),
          dispatcher,
          projectPaths: [req.spec.projectPath],
          pushScope: { ...deps.pushRules(), inheritedBranches: req.inheritedBranches ?? [] },
        },
        { modelApis: model },
      );
    },

    async collectOutputs({ record, project, gatewayRecord, onRateLimit }): Promise<RunOutput[]> {
      return collectRunOutputs(deps, { record, project, gatewayRecord, onRateLimit });
    },

    removeOrphans: (runIds) => deps.sandbox.removeOrphans(runIds),
  };
}

/** git's HTTP credentials for an account (accounts/git-credentials.ts has the user-name rule). */
async function gitCredentials(accounts: RunAccounts, accountId: string): Promise<MirrorAccess> {
  return gitCredentialsOf(await accounts.credentialsFor(accountId));
}

/**
 * Detects a run's outputs from its gateway record and the GitLab API, with commit lists read from
 * the project's app-owned mirror; the end of a run and a later refresh both come through here.
 */
async function collectRunOutputs(
  deps: Pick<RunPortsDeps, 'accounts' | 'mirrors' | 'logger'>,
  req: {
    record: RunRecord;
    project: ResolvedProject;
    gatewayRecord: GatewayRecord | undefined;
    onRateLimit?: (wait: RateLimitWait) => void;
  },
): Promise<RunOutput[]> {
  const { record, project } = req;
  const { accounts } = deps;
  const acc = accounts.get(record.spec.accountId);
  if (!acc)
    throw new CospecError(
      'NOT_FOUND',
      'The account of this run is no longer connected; reconnect it to see the run’s outputs.',
    );
  let lister: ReturnType<typeof mirrorCommitLister> | undefined;
  const listCommits = async (from: string | null, to: string) => {
    if (!lister) {
      if (!(await deps.mirrors.available())) return [];
      const mirror = await deps.mirrors.open({ accountId: record.spec.accountId, projectId: project.projectId });
      const { caPem, proxyUrl } = accounts.networkFor(record.spec.accountId);
      lister = mirrorCommitLister({
        mirror,
        // On the account's own instance URL, where its credentials belong (http_url_to_repo may name another host).
        url: `${project.instanceUrl.replace(/\/+$/, '')}/${record.spec.projectPath}.git`,
        defaultBranch: project.defaultBranch,
        ...(record.baseSha ? { baseSha: record.baseSha } : {}),
        logger: deps.logger,
        access: async () => ({
          ...(await gitCredentials(accounts, record.spec.accountId)),
          ...(caPem ? { caPem } : {}),
          ...(proxyUrl ? { proxyUrl } : {}),
        }),
      });
    }
    return lister(from, to);
  };
  const get: GitLabGet = (accountId, path, signal) => accounts.apiGet(accountId, path, signal, req.onRateLimit);
  return detectOutputs(get, {
    accountId: record.spec.accountId,
    userId: acc.userId,
    projectId: project.projectId,
    projectPath: record.spec.projectPath,
    projectWebUrl: project.webUrl,
    defaultBranch: project.defaultBranch,
    startedAt: record.transitions.find((t) => t.state === 'running')?.at ?? record.createdAt,
    endedAt: record.endedAt ?? new Date().toISOString(),
    record: req.gatewayRecord,
    listCommits,
  });
}
