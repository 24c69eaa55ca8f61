import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunRecordSchema, type RunRecord } from '../../../src-shared/model/run';
import type { Logger } from '../../platform/logger';

/** Where one run keeps its files: the record, the agent log, the egress and gateway logs, the clone. */
export interface RunPaths {
  dir: string;
  record: string;
  agentLog: string;
  egressLog: string;
  gatewayLog: string;
  workspace: string;
}

export function runPaths(runsDir: string, id: string): RunPaths {
  const dir = join(runsDir, id);
  return {
    dir,
    record: join(dir, 'run.json'),
    agentLog: join(dir, 'agent.log'),
    egressLog: join(dir, 'egress.log'),
    gatewayLog: join(dir, 'gateway.log'),
    workspace: join(dir, 'workspace'),
  };
}

/**
 * Persists run records, one JSON file per run written atomically (temp file + rename), so a crash
 * mid-write leaves the previous record intact and the run list survives restarts.
 */
export class RunStore {
  // Saves of one run are chained, so progress updates never race each other's temp file.
  private readonly pending = new Map<string, Promise<void>>();

  constructor(
    readonly runsDir: string,
    private readonly logger: Logger,
  ) {}

  paths(id: string): RunPaths {
    return runPaths(this.runsDir, id);
  }

  save(record: RunRecord): Promise<void> {
    const snapshot = JSON.stringify(record, null, 2);
    const previous = this.pending.get(record.id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.write(record.id, snapshot));
    this.pending.set(record.id, next);
    void next
      .finally(() => {
        if (this.pending.get(record.id) === next) this.pending.delete(record.id);
      })
      .catch(() => undefined);
    return next;
  }

  private async write(id: string, snapshot: string): Promise<void> {
    const paths = this.paths(id);
    await mkdir(paths.dir, { recursive: true, mode: 0o700 });
    const tmp = `${paths.record}.${process.pid}.tmp`;
    await writeFile(tmp, snapshot, { mode: 0o600 });
    await rename(tmp, paths.record);
  }

  async get(id: string): Promise<RunRecord | undefined> {
    try {
      return RunRecordSchema.parse(JSON.parse(await readFile(this.paths(id).record, 'utf8')));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn('unreadable run record', { id, error });
      return undefined;
    }
  }

  /** Every readable record, newest first; unreadable ones are logged and left on disk for inspection. */
  async list(): Promise<RunRecord[]> {
    let ids: string[];
    try {
      ids = await readdir(this.runsDir);
    } catch {
      return [];
    }
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records
      .filter((r): r is RunRecord => r !== undefined)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }
}
