import type { RateLimitWait } from '../gitlab';
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { CospecError, toErrorEnvelope } from '../../../src-shared/ipc/errors';
import type { RunOutput, RunRecord, RunSpec, RunState } from '../../../src-shared/model/run';
import type { Logger } from '../../platform/logger';
import type { GatewayRecord } from '../gateway';
import type { ExecuteRequest, ExecuteResult } from '../sandbox/request';
import { assertContinuable, inheritedBranches } from './follow-up';
import { summariseRefusals } from './refusals';
import { RunLog } from './run-log';
import { canTransition, isTerminal } from './state-machine';
import type { RunPaths, RunStore } from './store';

/** What a run needs to know about its project, from the GitLab API. */
export interface ResolvedProject {
  instanceUrl: string;
  projectId: number;
  webUrl: string;
  httpUrlToRepo: string;
  defaultBranch: string;
}

/**
 * What a run hands its sandbox port: the sandbox's own request (sandbox/request.ts) on the run's
 * project, plus the branches of the run this one continues, which its agent may fast-forward
 * (follow-up.ts); none when absent.
 */
export interface RunExecuteRequest extends ExecuteRequest {
  paths: RunPaths;
  project: ResolvedProject;
  inheritedBranches?: string[];
}

/**
 * The parts a run is made of. Each is a real service in the app (accounts + GitLab API, the image
 * builder, the cloner, the sandbox with its egress proxy and credential gateway, output detection);
 * the orchestrator only sequences them, persists each transition and reports.
 */
export interface RunPorts {
  /** onRateLimit: told before each wait for GitLab's rate limit (gitlab/client.ts), to show it on the run. */
  resolveProject(spec: RunSpec, onRateLimit?: (wait: RateLimitWait) => void): Promise<ResolvedProject>;
  /**
   * Refuses, before a run record exists, a run whose options go beyond the policy (agent, time
   * limit, extra destinations) or whose agent has no model key.
   */
  assertRunAllowed(spec: RunSpec): void | Promise<void>;
  allowlistFor(spec: RunSpec, project: ResolvedProject): string[];
  ensureImage(
    onProgress: (detail: string, percent?: number) => void,
    signal: AbortSignal,
    spec: RunSpec,
  ): Promise<string>;
  clone(req: {
    spec: RunSpec;
    project: ResolvedProject;
    dir: string;
    onProgress: (detail: string, percent?: number) => void;
    signal: AbortSignal;
    /** Resolves once the run's sandbox has stopped, whatever the outcome: work for later runs waits for it. */
    ended: Promise<void>;
  }): Promise<{ head: string } | void>;
  execute(req: RunExecuteRequest): Promise<ExecuteResult>;
  /** The run's outputs from its gateway record, GitLab and the project's mirror (end of a run and refresh alike). */
  collectOutputs(req: {
    record: RunRecord;
    project: ResolvedProject;
    gatewayRecord: GatewayRecord | undefined;
    onRateLimit?: (wait: RateLimitWait) => void;
  }): Promise<RunOutput[]>;
  /** Removes containers left by runs that were live when the app stopped. */
  removeOrphans(runIds: string[]): Promise<void>;
}

export interface OrchestratorDeps {
  store: RunStore;
  ports: RunPorts;
  logger: Logger;
  onChange(record: RunRecord): void;
  onLog(runId: string, lines: string[]): void;
  defaultTimeoutMinutes: number;
  maxConcurrent?: number;
  now?: () => Date;
}

interface LiveRun {
  record: RunRecord;
  abort: AbortController;
  done: Promise<void>;
}

export class RunOrchestrator {
  private readonly live = new Map<string, LiveRun>();
  private readonly waiting: Array<() => void> = [];
  private running = 0;
  private readonly now: () => Date;

  constructor(private readonly deps: OrchestratorDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Marks runs that were live when the app died as interrupted and removes their containers. */
  async recover(): Promise<RunRecord[]> {
    const stale = (await this.deps.store.list()).filter((r) => !isTerminal(r.state));
    for (const record of stale) {
      await this.transition(record, 'interrupted', { detail: 'The app stopped while this run was in progress.' });
    }
    if (stale.length)
      await this.deps.ports
        .removeOrphans(stale.map((r) => r.id))
        .catch((error) => this.deps.logger.warn('orphan cleanup failed', { error }));
    return stale;
  }

  async list(): Promise<RunRecord[]> {
    return this.deps.store.list();
  }

  async get(id: string): Promise<RunRecord> {
    const live = this.live.get(id)?.record;
    // Callers get a snapshot: the live record keeps changing as the run proceeds.
    const record = live ? structuredClone(live) : await this.deps.store.get(id);
    if (!record) throw new CospecError('NOT_FOUND', `There is no run ${id}.`);
    return record;
  }

  /** Queues a run and returns its record at once; the run proceeds in the background. */
  async start(spec: RunSpec): Promise<RunRecord> {
    await this.deps.ports.assertRunAllowed(spec);
    await assertContinuable(this.deps.store, spec);
    const at = this.now().toISOString();
    const record: RunRecord = {
      id: randomUUID(),
      spec,
      state: 'queued',
      instanceUrl: '',
      projectWebUrl: null,
      createdAt: at,
      updatedAt: at,
      transitions: [{ state: 'queued', at }],
      allowlist: [],
      egress: [],
      refusals: [],
      outputs: [],
    };
    await this.deps.store.save(record);
    this.deps.onChange(record);
    const abort = new AbortController();
    const live: LiveRun = { record, abort, done: Promise.resolve() };
    this.live.set(record.id, live);
    live.done = this.drive(live).finally(() => this.live.delete(record.id));
    return structuredClone(record);
  }

  /** Stops a run at whatever stage it is; its container is stopped and removed by the sandbox. */
  async cancel(id: string): Promise<RunRecord> {
    const live = this.live.get(id);
    if (!live) {
      const record = await this.get(id);
      if (isTerminal(record.state)) return record;
      throw new CospecError('NOT_FOUND', `Run ${id} is not running in this app.`);
    }
    live.abort.abort(new CospecError('CANCELLED', 'Cancelled by the user.'));
    await live.done;
    return structuredClone(live.record);
  }

  /** Resolves when a run ends (tests, the CLI's --wait). */
  async whenDone(id: string): Promise<RunRecord> {
    await this.live.get(id)?.done;
    return this.get(id);
  }

  /** Runs queued or running in this process (the quit guard asks before these would end). */
  inFlight(): number {
    return this.live.size;
  }

  /** Resolves once no run is in flight, including runs started meanwhile. */
  async whenIdle(): Promise<void> {
    while (this.live.size > 0) await Promise.allSettled([...this.live.values()].map((l) => l.done));
  }

  /** Cancels every run in flight, as the user asked when quitting; resolves when all have ended. */
  async cancelAll(): Promise<void> {
    for (const live of this.live.values()) live.abort.abort(new CospecError('CANCELLED', 'Cancelled by the user.'));
    await Promise.allSettled([...this.live.values()].map((l) => l.done));
  }

  async dispose(): Promise<void> {
    for (const live of this.live.values()) live.abort.abort(new CospecError('CANCELLED', 'The app is shutting down.'));
    await Promise.allSettled([...this.live.values()].map((l) => l.done));
  }

  private async drive(live: LiveRun): Promise<void> {
    const { ports } = this.deps;
    const signal = live.abort.signal;
    const paths = this.deps.store.paths(live.record.id);
    const runLog = new RunLog(paths.agentLog, (error) =>
      this.deps.logger.warn('run log write failed', { runId: live.record.id, error }),
    );
    const log = (line: string) => {
      this.deps.onLog(live.record.id, [line]);
      runLog.append(line);
    };
    try {
      await this.acquireSlot(signal);
      await this.transition(live.record, 'preparing', { detail: 'Preparing the sandbox image' });
      // Not throttled like progress: a wait of a minute must show even if progress was just shown.
      const rateLimited = (wait: RateLimitWait) =>
        void this.update(live.record, {
          detail: `Waiting for GitLab’s rate limit (${Math.ceil(wait.waitMs / 1000)} s)…`,
        }).catch((error) => this.deps.logger.warn('progress save failed', { error }));
      const project = await ports.resolveProject(live.record.spec, rateLimited);
      const allowlist = ports.allowlistFor(live.record.spec, project);
      await this.update(live.record, { instanceUrl: project.instanceUrl, projectWebUrl: project.webUrl, allowlist });
      const image = await ports.ensureImage(
        (detail, progress) => this.progress(live.record, detail, progress),
        signal,
        live.record.spec,
      );
      signal.throwIfAborted();

      await this.transition(live.record, 'cloning', { detail: `Cloning ${live.record.spec.projectPath}`, progress: 0 });
      await mkdir(paths.dir, { recursive: true, mode: 0o700 });
      const timeoutMs = (live.record.spec.timeoutMinutes ?? this.deps.defaultTimeoutMinutes) * 60_000;
      const inherited = await inheritedBranches(this.deps.store, live.record.spec);
      // The sandbox sets up its gateways and egress route while the workspace is made; it starts the
      // agent only once the clone is done (ExecuteRequest.workspaceReady). A sandbox that fails first
      // stops the clone.
      const stopClone = new AbortController();
      let cloneSettled = false;
      let sandboxStopped: () => void = () => undefined;
      const ended = new Promise<void>((resolve) => (sandboxStopped = resolve));
      const cloning = (async () => {
        const cloned = await ports.clone({
          spec: live.record.spec,
          project,
          dir: paths.workspace,
          signal: AbortSignal.any([signal, stopClone.signal]),
          onProgress: (detail, progress) => this.progress(live.record, detail, progress),
          ended,
        });
        // Read before the agent runs: afterwards the workspace is the agent's and is never read again.
        if (cloned) await this.update(live.record, { baseSha: cloned.head });
        signal.throwIfAborted();
        await this.transition(live.record, 'running', { detail: 'Agent running', progress: undefined });
      })().finally(() => (cloneSettled = true));
      // The sandbox looks at the clone only after its own set-up; a clone that fails before then is
      // not an unhandled rejection (it would take the main process down). Its error still reaches
      // the sandbox through workspaceReady and the catch below.
      cloning.catch(() => undefined);
      let result: ExecuteResult;
      try {
        result = await ports.execute({
          runId: live.record.id,
          paths,
          image,
          allowlist,
          project,
          spec: live.record.spec,
          inheritedBranches: inherited,
          timeoutMs,
          onLog: log,
          signal,
          workspaceReady: cloning,
        });
        await cloning;
      } catch (error) {
        // The clone's own failure is the run's (the sandbox only passed it on); else the sandbox's.
        const sandboxFirst = !cloneSettled;
        stopClone.abort(error);
        const cloneError = await cloning.then(
          () => undefined,
          (e: unknown) => e,
        );
        throw sandboxFirst ? error : (cloneError ?? error);
      } finally {
        sandboxStopped();
      }
      await this.update(live.record, {
        exitCode: result.exitCode,
        egress: result.egress,
        ...(result.modelUsage ? { modelUsage: result.modelUsage } : {}),
        refusals: summariseRefusals(result.gatewayRecord),
      });
      signal.throwIfAborted();

      await this.transition(live.record, 'collecting', { detail: 'Detecting branches, merge requests and issues' });
      const outputs = await ports.collectOutputs({
        record: live.record,
        project,
        gatewayRecord: result.gatewayRecord,
        onRateLimit: rateLimited,
      });
      await this.update(live.record, { outputs });
      if (result.exitCode === 0) {
        await this.transition(live.record, 'succeeded', { detail: summarise(outputs) });
      } else {
        const message = result.reason ?? `The agent exited with code ${result.exitCode}.`;
        await this.transition(live.record, 'failed', { detail: message, error: { code: 'RUN_FAILED', message } });
      }
    } catch (error) {
      const cancelled = signal.aborted;
      const envelope = toErrorEnvelope(cancelled ? signal.reason : error);
      if (!cancelled) this.deps.logger.warn('run failed', { runId: live.record.id, code: envelope.code, error });
      await this.transition(live.record, cancelled ? 'cancelled' : 'failed', {
        detail: envelope.message,
        error: { code: envelope.code, message: envelope.message },
      });
      if (cancelled) await rm(paths.workspace, { recursive: true, force: true }).catch(() => undefined);
    } finally {
      this.releaseSlot();
      await runLog.close();
    }
  }

  private async acquireSlot(signal: AbortSignal): Promise<void> {
    const max = this.deps.maxConcurrent ?? 2;
    while (this.running >= max) {
      await new Promise<void>((resolve, reject) => {
        this.waiting.push(resolve);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    this.running += 1;
  }

  private releaseSlot(): void {
    this.running = Math.max(0, this.running - 1);
    this.waiting.shift()?.();
  }

  private async transition(record: RunRecord, state: RunState, patch: Partial<RunRecord> = {}): Promise<void> {
    if (!canTransition(record.state, state)) {
      this.deps.logger.warn('ignored run transition', { runId: record.id, from: record.state, to: state });
      return;
    }
    const at = this.now().toISOString();
    record.transitions.push({ state, at });
    if (isTerminal(state)) patch.endedAt = at;
    await this.update(record, { ...patch, state });
  }

  private lastProgressAt = new Map<string, number>();

  /** Progress arrives many times a second; persist and announce it at most four times a second. */
  private progress(record: RunRecord, detail: string, progress?: number): void {
    const t = Date.now();
    if (t - (this.lastProgressAt.get(record.id) ?? 0) < 250 && progress !== 100) return;
    this.lastProgressAt.set(record.id, t);
    void this.update(record, { detail, progress }).catch((error) =>
      this.deps.logger.warn('progress save failed', { error }),
    );
  }

  private async update(record: RunRecord, patch: Partial<RunRecord>): Promise<void> {
    Object.assign(record, patch, { updatedAt: this.now().toISOString() });
    await this.deps.store.save(record);
    this.deps.onChange(record);
  }
}

function summarise(outputs: RunOutput[]): string {
  if (outputs.length === 0)
    return 'The agent finished without pushing branches, opening merge requests or filing issues.';
  const count = (kind: RunOutput['kind']) => outputs.filter((o) => o.kind === kind).length;
  const parts = [
    [count('branch'), 'branch', 'branches'],
    [count('merge_request'), 'merge request', 'merge requests'],
    [count('issue'), 'issue', 'issues'],
  ] as const;
  return parts
    .filter(([n]) => n > 0)
    .map(([n, one, many]) => `${n} ${n === 1 ? one : many}`)
    .join(', ');
}
