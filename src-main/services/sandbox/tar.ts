import { Readable } from 'node:stream';

/**
 * A ustar archive holding one file: the build context for a Containerfile that needs no other
 * files (the agent layer's install steps), so no tar dependency is needed for it.
 */
export function singleFileTar(name: string, content: string): Readable {
  const body = Buffer.from(content, 'utf8');
  const header = Buffer.alloc(512, 0);
  const put = (text: string, offset: number, length: number) =>
    header.write(text.slice(0, length), offset, length, 'ascii');
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, '0') + '\0';
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(body.length, 12), 124, 12);
  put(octal(Math.floor(Date.now() / 1000), 12), 136, 12);
  put('        ', 148, 8);
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const byte of header) sum += byte;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512, 0);
  return Readable.from([Buffer.concat([header, body, padding, Buffer.alloc(1024, 0)])]);
}
