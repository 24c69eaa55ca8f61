import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, fileSink, type Logger } from '../../platform/logger';
import { scrub } from '../../platform/scrub';
import {
  LOG_EVENTS,
  emptyRecord,
  gatewayRecordSchema,
  issueFiledSchema,
  mergeRequestOpenedSchema,
  noteAddedSchema,
  pushedRefSchema,
  gatewayRequestSchema,
  gatewayRefusalSchema,
  type GatewayRecord,
  type LogEvent,
} from './record';

/**
 * Keeps the run's record in memory and appends each event to `<logDir>/gateway.log` (JSON lines
 * through the platform logger, with every token the gateway has used registered as a known secret,
 * so it is scrubbed verbatim even where no pattern would catch it).
 */
export class GatewayRecorder {
  private readonly record: GatewayRecord;
  private readonly log: Logger;
  readonly logPath: string;

  constructor(
    runId: string,
    instanceUrl: string,
    projectPaths: string[],
    logDir: string,
    private readonly knownSecrets: () => Iterable<string>,
  ) {
    this.record = emptyRecord(runId, instanceUrl, projectPaths);
    this.logPath = join(logDir, 'gateway.log');
    this.log = createLogger({ level: 'debug', sinks: [fileSink(this.logPath)], knownSecrets }, { runId });
  }

  add<E extends LogEvent>(event: E, entry: GatewayRecord[(typeof LOG_EVENTS)[E]][number]): void {
    // Titles and URLs come from the agent and from GitLab: scrub them before they are kept anywhere.
    const clean = JSON.parse(scrub(JSON.stringify(entry), this.knownSecrets())) as typeof entry;
    (this.record[LOG_EVENTS[event]] as Array<typeof entry>).push(clean);
    this.log.info(event, clean as Record<string, unknown>);
  }

  /** Free-form diagnostics (upstream failures …) in the same file; never pass headers or bodies. */
  note(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void {
    this.log[level](message, fields);
  }

  snapshot(): GatewayRecord {
    return structuredClone(this.record);
  }
}

const ENTRY_SCHEMAS = {
  'gateway.push': pushedRefSchema,
  'gateway.merge_request': mergeRequestOpenedSchema,
  'gateway.issue': issueFiledSchema,
  'gateway.note': noteAddedSchema,
  'gateway.request': gatewayRequestSchema,
  'gateway.refusal': gatewayRefusalSchema,
} as const;

/**
 * Rebuilds a run's record from its gateway.log (after a restart the in-memory record is gone).
 * Lines that are not events, or do not validate, are skipped: the log is the app's own file but
 * may end in a half-written line if the app died mid-write.
 */
export async function readGatewayLog(
  path: string,
  runId: string,
  instanceUrl: string,
  projectPaths: string[],
): Promise<GatewayRecord> {
  const record = emptyRecord(runId, instanceUrl, projectPaths);
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null || !('message' in parsed)) continue;
    const event = (parsed as { message: unknown }).message;
    if (typeof event !== 'string' || !(event in ENTRY_SCHEMAS)) continue;
    const result = ENTRY_SCHEMAS[event as LogEvent].safeParse(parsed);
    if (result.success) (record[LOG_EVENTS[event as LogEvent]] as unknown[]).push(result.data);
  }
  return gatewayRecordSchema.parse(record);
}
