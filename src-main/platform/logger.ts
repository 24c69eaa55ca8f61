import { appendFileSync, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { inspect } from 'node:util';
import { scrub } from './scrub';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines carry these fields too. */
  child(fields: Record<string, unknown>): Logger;
}

export interface LogSink {
  write(line: string): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  sinks?: LogSink[];
  /** Secrets known at run time (for example a token just read) scrubbed verbatim as well. */
  knownSecrets?: () => Iterable<string>;
}

/**
 * A sink appending JSON lines to a file, creating its folder on first write. Past `maxBytes` the
 * file is rotated (main.log → main.log.1 → … → main.log.{keep}), so a long-lived app's log
 * cannot fill the disk.
 */
export function fileSink(path: string, { maxBytes = 10 * 1024 * 1024, keep = 3 } = {}): LogSink {
  let size: number | undefined;
  const rotate = () => {
    for (let i = keep - 1; i >= 1; i--) {
      if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
    }
    renameSync(path, `${path}.1`);
    size = 0;
  };
  return {
    write(line) {
      if (size === undefined) {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        size = existsSync(path) ? statSync(path).size : 0;
      }
      const bytes = Buffer.byteLength(line) + 1;
      if (size > 0 && size + bytes > maxBytes) rotate();
      appendFileSync(path, line + '\n', { mode: 0o600 });
      size += bytes;
    },
  };
}

export const stderrSink: LogSink = { write: (line) => process.stderr.write(line + '\n') };

/** Collects lines in memory; tests read them back. */
export function memorySink(): LogSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (line) => lines.push(line) };
}

/**
 * The one logger of the main process. Every line is rendered to text first and then scrubbed,
 * so a token hidden in an Error, a URL or a nested object is caught wherever it sits.
 */
export function createLogger(options: LoggerOptions = {}, bound: Record<string, unknown> = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const sinks = options.sinks ?? [stderrSink];
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const record = { time: new Date().toISOString(), level, message, ...bound, ...serialise(fields) };
    const line = scrub(JSON.stringify(record), options.knownSecrets?.() ?? []);
    for (const sink of sinks) sink.write(line);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

function serialise(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!fields) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] =
      value instanceof Error
        ? {
            name: value.name,
            message: value.message,
            stack: value.stack,
            cause: value.cause ? inspect(value.cause) : undefined,
          }
        : value;
  }
  return out;
}
