import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/**
 * One run's agent log, written through a single append stream: lines land in the order they were
 * produced. Separate appendFile calls per line can overtake each other on a busy machine, which
 * shuffled the log a person reads to find out what the agent did.
 */
export class RunLog {
  private stream: WriteStream | undefined;

  constructor(
    private readonly path: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Appends one line (the newline is added here). */
  append(line: string): void {
    if (!this.stream) {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      this.stream = createWriteStream(this.path, { flags: 'a', mode: 0o600 });
      this.stream.on('error', this.onError);
    }
    this.stream.write(line + '\n');
  }

  /** Flushes what was appended and closes the file; appending afterwards opens it again. */
  close(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (!stream) return Promise.resolve();
    return new Promise((resolve) => stream.end(() => resolve()));
  }
}
