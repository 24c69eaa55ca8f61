import { FLUSH_PKT, pktLine, splitPktLines, type RefUpdateCommand } from './pkt-line';

/**
 * The head of a git-receive-pack request (gitprotocol-pack, "Reference Update Request and
 * Packfile Transfer"): shallow lines, the command list with the client's capabilities after a NUL
 * on its first line, a flush, then — when the client asked for `push-options` — the push options
 * and another flush, then the pack. The gateway reads the head to decide on a push before any of
 * it reaches GitLab, can append a push option to it, and can answer a refused push itself with a
 * report-status git understands.
 */

export interface ReceivePackHead {
  commands: RefUpdateCommand[];
  /** The capabilities the client asked for on the first command line. */
  capabilities: string[];
  /** Push options (`git push -o …`), in order. */
  pushOptions: string[];
  /** A signed push (push certificate): GitLab does not ask for one, so an agent crafted it. */
  pushCert: boolean;
  /** Byte offset where the pack starts (just after the last flush of the head). */
  packOffset: number;
  /** Offset of the flush that ends the command list (push options are inserted there when absent). */
  commandsEnd: number;
}

export type HeadParse =
  { status: 'incomplete' } | { status: 'error'; error: string } | ({ status: 'ok' } & ReceivePackHead);

const COMMAND = /^([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (\S+)$/;
const SHALLOW = /^shallow [0-9a-f]{40,64}$/;

/** Parses the head of a receive-pack request from a prefix of its (uncompressed) body. */
export function parseReceivePackHead(buf: Buffer): HeadParse {
  const commands: RefUpdateCommand[] = [];
  let capabilities: string[] = [];
  let pushCert = false;
  let inCert = false;
  let pos = 0;
  let first = true;
  // Command list (possibly wrapped in a push certificate).
  for (;;) {
    const next = readPkt(buf, pos);
    if (next.status !== 'ok') return next;
    pos = next.end;
    if (next.pkt === 'flush') {
      if (inCert) return { status: 'error', error: 'push certificate without push-cert-end' };
      break;
    }
    if (next.pkt === 'special') return { status: 'error', error: 'unexpected delim or response-end packet' };
    let line = next.pkt.toString('utf8');
    const nul = line.indexOf('\0');
    if (nul >= 0) {
      if (!first) return { status: 'error', error: 'capabilities after the first command' };
      capabilities = line
        .slice(nul + 1)
        .replace(/\n$/, '')
        .split(' ')
        .filter(Boolean);
      line = line.slice(0, nul);
    }
    line = line.replace(/\n$/, '');
    if (first && SHALLOW.test(line) && nul < 0) continue;
    first = false;
    if (line === 'push-cert') {
      pushCert = true;
      inCert = true;
      continue;
    }
    if (inCert) {
      if (line === 'push-cert-end') inCert = false;
      else {
        const m = COMMAND.exec(line);
        if (m) commands.push({ oldSha: m[1]!, newSha: m[2]!, ref: m[3]! });
      }
      continue;
    }
    const m = COMMAND.exec(line);
    if (!m) return { status: 'error', error: `not a ref update command: ${JSON.stringify(line.slice(0, 120))}` };
    commands.push({ oldSha: m[1]!, newSha: m[2]!, ref: m[3]! });
  }
  const commandsEnd = pos - FLUSH_PKT.length;
  const pushOptions: string[] = [];
  if (capabilities.includes('push-options')) {
    for (;;) {
      const next = readPkt(buf, pos);
      if (next.status !== 'ok') return next;
      pos = next.end;
      if (next.pkt === 'flush') break;
      if (next.pkt === 'special') return { status: 'error', error: 'unexpected delim or response-end packet' };
      pushOptions.push(next.pkt.toString('utf8').replace(/\n$/, ''));
    }
  }
  return { status: 'ok', commands, capabilities, pushOptions, pushCert, packOffset: pos, commandsEnd };
}

type ReadPkt =
  | { status: 'incomplete' }
  | { status: 'error'; error: string }
  | { status: 'ok'; pkt: Buffer | 'flush' | 'special'; end: number };

function readPkt(buf: Buffer, pos: number): ReadPkt {
  if (pos + 4 > buf.length) return { status: 'incomplete' };
  const { pkts, error } = splitPktLines(buf.subarray(pos, Math.min(buf.length, pos + 65520)));
  const pkt = pkts[0];
  if (!pkt) return error ? { status: 'error', error } : { status: 'incomplete' };
  if (pkt.type === 'flush') return { status: 'ok', pkt: 'flush', end: pos + 4 };
  if (pkt.type !== 'data') return { status: 'ok', pkt: 'special', end: pos + 4 };
  return { status: 'ok', pkt: pkt.payload, end: pos + 4 + pkt.payload.length };
}

/**
 * The same head with one more push option. When the client sent none, the `push-options`
 * capability is added to its first command line and an options section is inserted after the
 * command list; otherwise the option is appended to the client's list.
 */
export function headWithPushOption(buf: Buffer, head: ReceivePackHead, option: string): Buffer {
  const before = buf.subarray(0, head.packOffset);
  if (head.capabilities.includes('push-options')) {
    // The options section ends with the flush just before the pack.
    const end = head.packOffset - FLUSH_PKT.length;
    return Buffer.concat([before.subarray(0, end), pktLine(`${option}\n`), FLUSH_PKT]);
  }
  // Rewrite the first command line with the capability added, keep the rest of the list.
  const out: Buffer[] = [];
  let pos = 0;
  let rewritten = false;
  while (pos < head.commandsEnd) {
    const next = readPkt(buf, pos);
    if (next.status !== 'ok' || next.pkt === 'flush' || next.pkt === 'special') break;
    const raw = buf.subarray(pos, next.end);
    const nul = next.pkt.indexOf(0);
    if (!rewritten && nul >= 0) {
      const text = next.pkt.toString('utf8').replace(/\n$/, '');
      out.push(pktLine(`${text} push-options\n`));
      rewritten = true;
    } else out.push(raw);
    pos = next.end;
  }
  return Buffer.concat([...out, FLUSH_PKT, pktLine(`${option}\n`), FLUSH_PKT]);
}

const SIDEBAND_MAX = 65515;

/**
 * The answer to a push refused by the gateway, shaped as receive-pack's own: `unpack ok` and an
 * `ng <ref> <reason>` per command (report-status, v1 and v2 alike), with the explanation on
 * side-band channel 2 when the client asked for side-band, so git prints it as `remote: …` lines
 * and each ref as `! [remote rejected] … (reason)`.
 */
export function refusalResponse(
  capabilities: readonly string[],
  refs: Array<{ ref: string; reason: string }>,
  messages: string[],
): Buffer {
  const oneLine = (s: string) => s.replace(/[\r\n\0]+/g, ' ').slice(0, 1000);
  const report = Buffer.concat([
    pktLine('unpack ok\n'),
    ...refs.map((r) => pktLine(`ng ${r.ref} ${oneLine(r.reason)}\n`)),
    FLUSH_PKT,
  ]);
  const sideband = capabilities.includes('side-band-64k') || capabilities.includes('side-band');
  if (!sideband) return report;
  const max = capabilities.includes('side-band-64k') ? SIDEBAND_MAX : 995;
  const band = (n: number, data: Buffer): Buffer[] => {
    const out: Buffer[] = [];
    for (let i = 0; i < data.length; i += max)
      out.push(pktLine(Buffer.concat([Buffer.from([n]), data.subarray(i, i + max)])));
    return out;
  };
  const text = Buffer.from(messages.map((m) => `${oneLine(m)}\n`).join(''), 'utf8');
  return Buffer.concat([...band(2, text), ...band(1, report), FLUSH_PKT]);
}
