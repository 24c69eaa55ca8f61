import { open, stat } from 'node:fs/promises';
import type { ServiceHandlers } from '../../../src-shared/ipc/define';
import type { runsContract } from '../../../src-shared/ipc/services/runs';
import type { RunRecord } from '../../../src-shared/model/run';
import type { EventBus } from '../../platform/events';
import type { Logger } from '../../platform/logger';
import { readGatewayLog } from '../gateway';
import { RunOrchestrator, type RunPorts } from './orchestrator';
import { RunStore } from './store';

export { RunOrchestrator, type RunPorts, type RunExecuteRequest, type ResolvedProject } from './orchestrator';
export { RunStore, runPaths, type RunPaths } from './store';
export { createRunPorts, egressHostOf, type RunAccounts, type RunGit, type RunSandbox } from './ports';

export interface RunsDeps {
  runsDir: string;
  ports: RunPorts;
  logger: Logger;
  events: EventBus;
  defaultTimeoutMinutes: () => number;
  maxConcurrent?: number;
  /** Adds destinations to the user's allowed ones (Settings' rules and the policy apply). */
  allowForUser(entries: string[]): Promise<void>;
}

export interface RunsService {
  handlers: ServiceHandlers<typeof runsContract>;
  orchestrator: RunOrchestrator;
  store: RunStore;
  /** Marks runs a previous app process left unfinished as interrupted (call once at start-up). */
  recover(): Promise<RunRecord[]>;
  dispose(): Promise<void>;
}

const DEFAULT_TAIL = 2_000;
/** Reading more than this from the end of a log for a tail is never needed and would cost memory. */
const TAIL_BYTES_PER_LINE = 512;

export function createRunsService(deps: RunsDeps): RunsService {
  const log = deps.logger.child({ service: 'runs' });
  const store = new RunStore(deps.runsDir, log);
  const orchestrator = new RunOrchestrator({
    store,
    ports: deps.ports,
    logger: log,
    onChange: (record) => deps.events.emit('runs.didChange', record),
    onLog: (runId, lines) => deps.events.emit('runs.didLog', { runId, lines }),
    get defaultTimeoutMinutes() {
      return deps.defaultTimeoutMinutes();
    },
    maxConcurrent: deps.maxConcurrent,
  });

  return {
    orchestrator,
    store,
    recover: () => orchestrator.recover(),
    dispose: () => orchestrator.dispose(),
    handlers: {
      list: () => orchestrator.list(),
      get: (id) => orchestrator.get(id),
      start: (spec) => orchestrator.start(spec),
      cancel: (id) => orchestrator.cancel(id),
      async rerun(id, { allow }) {
        const { spec } = await orchestrator.get(id);
        // The destinations go where Settings keeps them, so every later run may use them too; a
        // policy that forbids user additions refuses here, before anything starts.
        await deps.allowForUser(allow);
        return orchestrator.start(spec);
      },
      async logs(id, options) {
        await orchestrator.get(id);
        return tailLines(store.paths(id).agentLog, options.tail ?? DEFAULT_TAIL);
      },
      async refreshOutputs(id) {
        const record = await orchestrator.get(id);
        const paths = store.paths(id);
        const project = await deps.ports.resolveProject(record.spec);
        const gatewayRecord = await readGatewayLog(paths.gatewayLog, id, project.instanceUrl, [
          record.spec.projectPath,
        ]);
        // The same port as the end of a run, so a refresh finds exactly what the run found, now.
        const outputs = await deps.ports.collectOutputs({ record, project, gatewayRecord });
        const updated: RunRecord = { ...record, outputs, updatedAt: new Date().toISOString() };
        await store.save(updated);
        deps.events.emit('runs.didChange', updated);
        return updated;
      },
    },
  };
}

/** The last `count` lines of a file, reading only its end. */
async function tailLines(file: string, count: number): Promise<string[]> {
  const size = await stat(file)
    .then((s) => s.size)
    .catch(() => 0);
  if (size === 0) return [];
  const length = Math.min(size, count * TAIL_BYTES_PER_LINE);
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    // The first line may be cut when we did not read from the start of the file.
    if (length < size) lines.shift();
    return lines.slice(-count);
  } finally {
    await handle.close();
  }
}
