import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CospecError } from '../../src-shared/ipc/errors';

/** Exit codes, documented in `cospec --help` and the README. */
export const EXIT = {
  ok: 0,
  /** The operation failed; the message says why (an error code is printed too). */
  failed: 1,
  /** Bad arguments or usage. */
  usage: 2,
  /** No container engine answered. */
  engine: 3,
  /** A run finished but did not succeed (failed, cancelled, interrupted). */
  runUnsuccessful: 4,
  interrupted: 130,
} as const;

export class UsageError extends Error {}

export interface Output {
  json: boolean;
  /** Prints a value: as one JSON document with --json, else through the human formatter. */
  result<T>(value: T, human: (value: T) => string): void;
  info(line: string): void;
  progress(label: string, percent?: number): void;
  endProgress(): void;
}

export function createOutput(json: boolean, stdout = process.stdout, stderr = process.stderr): Output {
  const tty = Boolean(stderr.isTTY) && !json;
  let progressShown = false;
  return {
    json,
    result(value, human) {
      stdout.write(json ? JSON.stringify(value) + '\n' : human(value).replace(/\n?$/, '\n'));
    },
    info(line) {
      if (!json) stderr.write(line + '\n');
    },
    progress(label, percent) {
      if (!tty) return;
      const width = 30;
      const bar =
        percent === undefined
          ? ''
          : ` [${'#'.repeat(Math.round((percent / 100) * width)).padEnd(width, '.')}] ${Math.round(percent)}%`;
      stderr.write(`\r\x1b[2K${label}${bar}`);
      progressShown = true;
    },
    endProgress() {
      if (progressShown) stderr.write('\n');
      progressShown = false;
    },
  };
}

/** Reads a secret from piped stdin, or asks for it on the terminal without echoing it. */
export async function readSecret(prompt: string, stdin = process.stdin, stderr = process.stderr): Promise<string> {
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer));
    const value = Buffer.concat(chunks).toString('utf8').trim();
    if (!value)
      throw new UsageError('No token on standard input. Pipe it in, e.g. `cospec accounts add --url URL < token.txt`.');
    return value;
  }
  stderr.write(prompt);
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: stdin, output: muted, terminal: true });
  try {
    const answer = await new Promise<string>((resolve) => rl.question('', resolve));
    stderr.write('\n');
    if (!answer.trim()) throw new UsageError('No token entered.');
    return answer.trim();
  } finally {
    rl.close();
  }
}

/** Prints an error the way every command does and returns its exit code. */
export function reportError(error: unknown, out: Output, stderr = process.stderr): number {
  if (error instanceof UsageError) {
    stderr.write(`cospec: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof CospecError) {
    if (out.json) process.stdout.write(JSON.stringify({ error: error.toEnvelope() }) + '\n');
    else stderr.write(`cospec: ${error.message} [${error.code}]${error.detail ? `\n${error.detail}` : ''}\n`);
    return error.code === 'ENGINE_UNAVAILABLE' || error.code === 'ENGINE_TIMEOUT'
      ? EXIT.engine
      : error.code === 'INVALID_INPUT'
        ? EXIT.usage
        : EXIT.failed;
  }
  stderr.write(`cospec: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT.failed;
}

/** A plain aligned table for human output. */
export function table(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (c ?? '').padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
