import type { Readable } from 'node:stream';

/** Calls onLine for each line of a text stream (the last unterminated line too); resolves at its end. */
export function splitLines(stream: Readable, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      rest += chunk;
      let i: number;
      while ((i = rest.indexOf('\n')) >= 0) {
        onLine(rest.slice(0, i).replace(/\r$/, ''));
        rest = rest.slice(i + 1);
      }
      // A runaway line without newlines must not grow without bound.
      if (rest.length > 64 * 1024) {
        onLine(rest);
        rest = '';
      }
    });
    const finish = () => {
      if (rest) onLine(rest);
      rest = '';
      resolve();
    };
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  });
}
