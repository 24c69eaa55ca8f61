import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import type { Logger } from '../../platform/logger';
import { stopwatch } from '../../platform/stopwatch';
import { resolveAgent } from '../agents';
import {
  agentGitLabEnv,
  containerTrustEnv,
  createCredentialGateway,
  DEFAULT_PUSH_SCOPE,
  trustBundleCommand,
  type CredentialGateway,
  type PushScope,
} from '../gateway';
import { createModelGateway, type ModelApiAccess, type ModelGateway } from '../gateway/model-gateway';
import type { ExecuteRequest, ExecuteResult } from './request';
import type { BindMount, ContainerEngine, ContainerHandle, VolumeMount } from './engine';
import type { Lookup } from './egress-proxy';
import type { ContainerLimits } from './limits';
import {
  chooseEgressShape,
  openEgressRoute,
  removeRunNetworks,
  type EgressRoute,
  type EgressShape,
} from './egress-route';
import { AGENT_GID, AGENT_UID, prepareWorkspaceOwner, type WorkspaceOwnership } from './workspace-owner';
import { copyIntoContainer, copyOutOfContainer, CopyOutLimitError } from './workspace-transfer';

/**
 * One run in one container: the per-run credential gateway and egress proxy on the host, the
 * hardened container (non-root, all capabilities dropped, no-new-privileges, read-only root with a
 * tmp, CPU/memory/pids limits, no way out but the proxy — see egress-route.ts) with the workspace
 * and the run's folder mounted in, live logs, cancel and timeout (both kill the container), and
 * clean-up whatever happens. A remote engine cannot mount this computer's folders: there the run's
 * files go into per-run volumes through the engine API before the start, and the workspace comes
 * back the same way after the agent stopped (workspace-transfer.ts).
 */

export interface GitLabAccess {
  getCredentials: () => Promise<{ token: string }>;
  dispatcher?: Dispatcher;
  projectPaths: string[];
  /** What the agent may push (the gateway's default scope when absent). */
  pushScope?: PushScope;
}

export interface ExecuteExtras {
  /** Extra environment for this run only (never a secret: the container's environment is readable by the agent). */
  env?: Record<string, string>;
  /** The model APIs this run's model gateway serves; their keys stay on this side of the proxy. */
  modelApis?: ModelApiAccess[];
  /** Called with the running container (attack tests look inside it). */
  onContainer?: (container: ContainerHandle) => void | Promise<void>;
}

export interface ExecutorDeps {
  engine: () => Promise<ContainerEngine>;
  logger: Logger;
  resourcesDir: string;
  limits: () => ContainerLimits;
  /** Name resolution for the egress proxy (the OS resolver by default). */
  lookup?: Lookup;
  /**
   * Whether an allowlist entry may name or resolve to loopback, private, link-local or metadata
   * addresses (the admin's policy decides: PolicyGuard.mayReachPrivate); never by default.
   */
  mayReachPrivate?: (entry: string) => boolean;
  /** How the container reaches the proxy; chosen from the engine by default. */
  egressShape?: EgressShape | 'auto';
  /** Whether the relay's listener is handed to the proxy where it can be (default true). */
  egressHandOff?: boolean;
}

/** Where things are inside the container. */
export const IN_CONTAINER = {
  runDir: '/cospec/run',
  workspace: '/workspace',
  agents: '/opt/cospec/agents',
  entrypoint: '/opt/cospec/entrypoint.sh',
  systemBundle: '/etc/ssl/certs/ca-certificates.crt',
  bundle: '/tmp/cospec-ca-bundle.pem',
  home: '/tmp/home',
} as const;

export const RUN_LABEL = 'cospec.run';

export async function executeInSandbox(
  deps: ExecutorDeps,
  req: ExecuteRequest,
  gitlab: GitLabAccess,
  extras: ExecuteExtras = {},
): Promise<ExecuteResult> {
  const logger = deps.logger.child({ runId: req.runId });
  // Where the time before the agent's start goes (debug log "sandbox: set-up timings").
  const clock = stopwatch();
  const agent = resolveAgent(req.spec.agent);
  const engine = await deps.engine();
  const limits = deps.limits();
  req.signal.throwIfAborted();
  clock.lap('engineMs');

  // A short private folder (unix socket paths are limited to ~100 bytes): the outer one keeps other
  // host users away from the proxy socket, the inner one is what the container sees.
  const outer = await mkdtemp(join(tmpdir(), 'cospec-sbx-'));
  const runDir = join(outer, 'r');

  let gateway: CredentialGateway | undefined;
  let modelGateway: ModelGateway | undefined;
  let route: EgressRoute | undefined;
  let container: ContainerHandle | undefined;
  let owner: WorkspaceOwnership | undefined;
  const volumes: string[] = [];
  let timedOut = false;
  let cancelled = false;
  const kill = () => void container?.kill().catch((error: unknown) => logger.warn('sandbox: kill failed', { error }));
  const onAbort = () => {
    cancelled = true;
    kill();
  };
  let timer: NodeJS.Timeout | undefined;
  req.signal.addEventListener('abort', onAbort, { once: true });

  try {
    const shape = await chooseEgressShape(engine, deps.egressShape);
    await mkdir(runDir, { mode: 0o755 });
    await chmod(runDir, 0o755);
    await mkdir(req.paths.dir, { recursive: true, mode: 0o700 });
    await writeFile(join(runDir, 'task.md'), req.spec.task, { mode: 0o644 });
    // Copied, not mounted from where the app is installed: engines in a VM share only some host
    // folders (the user's home and the temp folders), not /Applications or Program Files.
    await cp(join(deps.resourcesDir, 'agents'), join(runDir, 'agents'), { recursive: true });
    await cp(join(deps.resourcesDir, 'sandbox/entrypoint.sh'), join(runDir, 'entrypoint.sh'));
    clock.lap('filesMs');
    gateway = await createCredentialGateway({
      runId: req.runId,
      instanceUrl: req.project.instanceUrl,
      projectPaths: gitlab.projectPaths,
      getCredentials: gitlab.getCredentials,
      ...(gitlab.dispatcher ? { dispatcher: gitlab.dispatcher } : {}),
      ...(gitlab.pushScope ? { pushScope: gitlab.pushScope } : {}),
      logDir: req.paths.dir,
      logger,
    });
    if (extras.modelApis?.length)
      modelGateway = createModelGateway({ apis: extras.modelApis, logDir: req.paths.dir, logger });
    const trustEnv: Record<string, string> = {};
    if (gateway.caCertPem) {
      await writeFile(join(runDir, 'gitlab-ca.pem'), gateway.caCertPem, { mode: 0o644 });
      const runCa = `${IN_CONTAINER.runDir}/gitlab-ca.pem`;
      Object.assign(trustEnv, containerTrustEnv(IN_CONTAINER.bundle, runCa), {
        COSPEC_TRUST_SETUP: trustBundleCommand(IN_CONTAINER.systemBundle, runCa, IN_CONTAINER.bundle),
      });
    }
    clock.lap('gatewayMs');
    await removeRunContainers(engine, [req.runId]);
    clock.lap('leftoversMs');
    const labels = { [RUN_LABEL]: req.runId, 'cospec.managed': 'true' };
    route = await openEgressRoute(shape, {
      engine,
      runId: req.runId,
      runDir,
      image: req.image,
      resourcesDir: deps.resourcesDir,
      labels,
      logger,
      ...(deps.egressHandOff === false ? { handOff: false } : {}),
      proxy: {
        allowlist: req.allowlist,
        gateway,
        ...(modelGateway ? { modelGateway } : {}),
        logPath: req.paths.egressLog,
        ...(deps.lookup ? { lookup: deps.lookup } : {}),
        ...(deps.mayReachPrivate ? { mayReachPrivate: deps.mayReachPrivate } : {}),
        onDecision: (d) => logger.debug('egress', { host: d.host, port: d.port, allowed: d.allowed, reason: d.reason }),
      },
    });
    clock.lap('routeMs');
    // Everything above ran while the workspace was being made; from here on it is needed.
    await req.workspaceReady;
    req.signal.throwIfAborted();
    clock.lap('workspaceWaitMs');
    // A remote engine gets copies owned by the image's agent user; the local clone stays as it is.
    owner = engine.remote
      ? { user: `${AGENT_UID}:${AGENT_GID}`, handedOver: Promise.resolve(), restore: async () => undefined }
      : await prepareWorkspaceOwner(req.paths.workspace);
    const mounts = engine.remote
      ? await createRunVolumes(engine, req.runId, labels, volumes)
      : { binds: localBinds(req.paths.workspace, runDir), volumes: [] };
    clock.lap('ownerMs');

    const env: Record<string, string> = {
      // A tmpfs at /home/agent would be root-owned (podman 4.3 ignores tmpfs mode=), so home lives in /tmp.
      HOME: IN_CONTAINER.home,
      LANG: 'C.UTF-8',
      ...route.env,
      ...agentGitLabEnv({
        instanceUrl: req.project.instanceUrl,
        projectPath: req.spec.projectPath,
        projectId: req.project.projectId,
        taskFile: `${IN_CONTAINER.runDir}/task.md`,
        runId: req.runId,
        branchPrefix: (gitlab.pushScope ?? DEFAULT_PUSH_SCOPE).prefix,
      }),
      ...trustEnv,
      ...agent.env,
      ...extras.env,
      COSPEC_RUN_DIR: IN_CONTAINER.runDir,
      COSPEC_WORKSPACE: IN_CONTAINER.workspace,
      COSPEC_AGENT_COMMAND: agent.command,
    };
    logger.debug('sandbox: gateway and proxy ready', { egress: route.shape });
    container = await engine.createContainer({
      name: `cospec-run-${req.runId}`,
      image: req.image,
      cmd: ['/bin/sh', IN_CONTAINER.entrypoint],
      env,
      user: owner.user,
      workingDir: IN_CONTAINER.workspace,
      labels,
      binds: mounts.binds,
      volumes: mounts.volumes,
      networks: route.networks,
      tmpfs: { '/tmp': 'rw,nosuid,nodev,size=1g' },
      memoryBytes: limits.memoryMb * 1024 * 1024,
      nanoCpus: Math.round(limits.cpus * 1e9),
      pidsLimit: limits.pidsLimit,
    });
    // The hand-over walk ran alongside the engine's create; the agent gets the workspace only after it.
    await owner.handedOver;
    clock.lap('createAndHandOverMs');
    if (engine.remote) {
      req.onLog('[coSPEC] copying the workspace to the container engine at ' + engine.endpoint);
      await copyIntoContainer(container, req.paths.workspace, IN_CONTAINER.workspace, {
        uid: AGENT_UID,
        gid: AGENT_GID,
      });
      // Root-owned: the agent can read the task and its scripts but not change them.
      await copyIntoContainer(container, runDir, IN_CONTAINER.runDir, { uid: 0, gid: 0 }, [
        'task.md',
        ...(gateway.caCertPem ? ['gitlab-ca.pem'] : []),
      ]);
      await copyIntoContainer(container, runDir, '/opt/cospec', { uid: 0, gid: 0 }, ['entrypoint.sh', 'agents']);
    }
    if (req.signal.aborted) cancelled = true;
    if (cancelled) return await finish(-1);
    await container.start();
    clock.lap('startMs');
    logger.debug('sandbox: set-up timings', { ...clock.laps });
    // A cancel that arrived while the container was starting found nothing to kill yet.
    if (cancelled) kill();
    // The wall-clock limit is the agent's: it starts with the container, not with image or proxy set-up.
    timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, req.timeoutMs);
    logger.info('sandbox: container started', { container: container.id.slice(0, 12), image: req.image });
    const exited = container.wait();
    const logs = container.followLogs(
      (line) => req.onLog(line),
      exited.then(
        () => undefined,
        () => undefined,
      ),
    );
    // A lost log stream must not lose the run's result; the agent log says so instead.
    const logsDone = logs.catch((error: unknown) => {
      logger.warn('sandbox: log stream failed', { error });
      req.onLog('[coSPEC] the live log of this run was interrupted; the agent kept running.');
    });
    if (extras.onContainer) await extras.onContainer(container);
    const exit = await exited;
    logger.debug('sandbox: container stopped', { exitCode: exit.exitCode });
    await logsDone;
    logger.debug('sandbox: logs ended');
    if (engine.remote && !cancelled) await bringWorkspaceBack(container);
    return await finish(exit.exitCode, exit.oomKilled);
  } finally {
    clearTimeout(timer);
    req.signal.removeEventListener('abort', onAbort);
    await container?.remove().catch((error: unknown) => logger.warn('sandbox: container removal failed', { error }));
    await route?.close().catch(() => undefined);
    for (const volume of volumes)
      await engine
        .removeVolume(volume)
        .catch((error: unknown) => logger.warn('sandbox: volume removal failed', { volume, error }));
    await gateway?.close().catch(() => undefined);
    await modelGateway?.close().catch(() => undefined);
    const stopped = await owner
      ?.restore()
      .catch((error: unknown) => logger.warn('sandbox: giving the workspace back failed', { error }));
    if (stopped) {
      // Half given back would leave files of this app's user with the agent's uid: none are kept.
      await rm(req.paths.workspace, { recursive: true, force: true }).catch(() => undefined);
      req.onLog(`[coSPEC] The workspace was removed: ${stopped} (what the agent pushed to GitLab is unaffected).`);
    }
    await rm(outer, { recursive: true, force: true });
  }

  /** The agent's commits stay in the engine's volume unless copied back; a failure here does not fail the run. */
  async function bringWorkspaceBack(from: ContainerHandle): Promise<void> {
    try {
      const result = await copyOutOfContainer(from, IN_CONTAINER.workspace, req.paths.workspace);
      if (result.skippedLinkCount)
        req.onLog(
          `[coSPEC] ${result.skippedLinkCount} symbolic link(s) pointing outside the workspace or through another link were not copied back: ${result.skippedLinks.join(', ')}`,
        );
      if (result.skippedOtherCount)
        req.onLog(
          `[coSPEC] ${result.skippedOtherCount} special file(s) were not copied back: ${result.skippedOther.join(', ')}`,
        );
      req.onLog('[coSPEC] the workspace was copied back from the container engine');
    } catch (error) {
      logger.warn('sandbox: copying the workspace back failed', { error });
      if (error instanceof CopyOutLimitError) return req.onLog(`[coSPEC] ${error.message}`);
      req.onLog(
        `[coSPEC] copying the workspace back from the container engine failed (${error instanceof Error ? error.message : String(error)}); what the agent pushed is unaffected.`,
      );
    }
  }

  async function finish(exitCode: number, oomKilled = false): Promise<ExecuteResult> {
    let reason: string | undefined;
    if (cancelled) reason = 'Cancelled; the container was stopped.';
    else if (timedOut) reason = `Timed out after ${Math.round(req.timeoutMs / 1000)} s; the container was stopped.`;
    else if (oomKilled || exitCode === 137)
      reason = `The agent was killed (exit 137), probably out of memory (limit ${limits.memoryMb} MB).`;
    return {
      exitCode,
      ...(reason ? { reason } : {}),
      egress: route?.proxy.summary() ?? [],
      gatewayRecord: gateway?.record(),
      ...(modelGateway ? { modelUsage: modelGateway.usage() } : {}),
    };
  }
}

function localBinds(workspace: string, runDir: string): BindMount[] {
  return [
    { host: workspace, container: IN_CONTAINER.workspace, readOnly: false },
    { host: runDir, container: IN_CONTAINER.runDir, readOnly: true },
    { host: join(runDir, 'agents'), container: IN_CONTAINER.agents, readOnly: true },
    { host: join(runDir, 'entrypoint.sh'), container: IN_CONTAINER.entrypoint, readOnly: true },
  ];
}

/** The run's volumes on a remote engine (the workspace, the run's files, the entrypoint and agents), recorded in `created` for removal. */
async function createRunVolumes(
  engine: ContainerEngine,
  runId: string,
  labels: Record<string, string>,
  created: string[],
): Promise<{ binds: BindMount[]; volumes: VolumeMount[] }> {
  const wanted: Array<[string, string]> = [
    [`cospec-ws-${runId}`, IN_CONTAINER.workspace],
    [`cospec-files-${runId}`, IN_CONTAINER.runDir],
    [`cospec-opt-${runId}`, '/opt/cospec'],
  ];
  for (const [volume] of wanted) {
    await engine.createVolume(volume, labels);
    created.push(volume);
  }
  return { binds: [], volumes: wanted.map(([volume, container]) => ({ volume, container })) };
}

/** Removes every container (agent, relay), network and volume labelled with one of these run ids (orphans of a crashed app, retries). */
export async function removeRunContainers(engine: ContainerEngine, runIds: readonly string[]): Promise<void> {
  if (!runIds.length) return;
  const wanted = new Set(runIds);
  for (const c of await engine.listContainers(RUN_LABEL)) {
    if (wanted.has(c.labels[RUN_LABEL] ?? '')) await engine.removeContainer(c.id);
  }
  await removeRunNetworks(engine, RUN_LABEL, runIds);
  for (const v of await engine.listVolumes(RUN_LABEL))
    if (wanted.has(v.labels[RUN_LABEL] ?? '')) await engine.removeVolume(v.name);
}
