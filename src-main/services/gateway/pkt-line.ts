/**
 * Just enough of git's pkt-line format (gitprotocol-common, gitprotocol-pack) to see what a push
 * does: the ref-update commands at the start of a git-receive-pack request, and the report-status
 * in its response (possibly multiplexed on side-band-64k). The pack data itself is never parsed.
 */

export type Pkt = { type: 'data'; payload: Buffer } | { type: 'flush' } | { type: 'delim' } | { type: 'response-end' };

/** Splits a buffer into pkt-lines; `rest` is an incomplete trailing packet (more bytes needed). */
export function splitPktLines(buf: Buffer): { pkts: Pkt[]; rest: Buffer; error?: string } {
  const pkts: Pkt[] = [];
  let pos = 0;
  while (pos + 4 <= buf.length) {
    const hex = buf.toString('latin1', pos, pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(hex))
      return { pkts, rest: buf.subarray(pos), error: `invalid pkt-line length "${hex}"` };
    const len = parseInt(hex, 16);
    if (len === 0) pkts.push({ type: 'flush' });
    else if (len === 1) pkts.push({ type: 'delim' });
    else if (len === 2) pkts.push({ type: 'response-end' });
    else if (len < 4) return { pkts, rest: buf.subarray(pos), error: `invalid pkt-line length ${len}` };
    else {
      if (pos + len > buf.length) break;
      pkts.push({ type: 'data', payload: buf.subarray(pos + 4, pos + len) });
      pos += len;
      continue;
    }
    pos += 4;
  }
  return { pkts, rest: buf.subarray(pos) };
}

/** Encodes one pkt-line (used by tests and for ERR replies). */
export function pktLine(text: string | Buffer): Buffer {
  const body = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0'), 'latin1'), body]);
}
export const FLUSH_PKT = Buffer.from('0000', 'latin1');

export interface RefUpdateCommand {
  oldSha: string;
  newSha: string;
  ref: string;
}

const COMMAND = /^([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (\S+)$/;

/**
 * Parses the command list at the start of a receive-pack request body. `complete` turns true at the
 * flush-pkt that ends the list; until then the caller feeds a longer prefix. Lines that are not
 * commands (shallow lines, push-cert headers and signature) are skipped; commands inside a push
 * certificate have the same shape and are picked up.
 */
export function parseReceivePackCommands(prefix: Buffer): {
  commands: RefUpdateCommand[];
  complete: boolean;
  error?: string;
} {
  const commands: RefUpdateCommand[] = [];
  const { pkts, error } = splitPktLines(prefix);
  let inCert = false;
  for (const pkt of pkts) {
    if (pkt.type !== 'data') {
      // The command list ends at the first flush (a push certificate ends with push-cert-end first).
      if (pkt.type === 'flush' && !inCert) return { commands, complete: true };
      continue;
    }
    let line = pkt.payload.toString('utf8');
    const nul = line.indexOf('\0');
    if (nul >= 0) line = line.slice(0, nul); // capabilities follow the first command
    line = line.replace(/\n$/, '');
    if (line === 'push-cert') inCert = true;
    else if (line === 'push-cert-end') inCert = false;
    const m = COMMAND.exec(line);
    if (m) commands.push({ oldSha: m[1]!, newSha: m[2]!, ref: m[3]! });
  }
  return error ? { commands, complete: true, error } : { commands, complete: false };
}

export interface ReportStatus {
  /** "ok", or the unpack error git reported; undefined when no report-status was found. */
  unpack?: string;
  refs: Map<string, { ok: boolean; reason?: string }>;
  /** Side-band channel 2/3 text ("remote: …" lines), which often explains a refusal. */
  messages: string[];
}

/** Parses a receive-pack response: report-status, plain or inside side-band-64k channel 1. */
export function parseReportStatus(body: Buffer): ReportStatus {
  const outer = splitPktLines(body).pkts;
  const first = outer.find((p): p is Extract<Pkt, { type: 'data' }> => p.type === 'data');
  const sideband = first !== undefined && first.payload.length > 0 && first.payload[0]! >= 1 && first.payload[0]! <= 3;
  const messages: string[] = [];
  let statusPkts: Pkt[] = outer;
  if (sideband) {
    const band1: Buffer[] = [];
    for (const p of outer) {
      if (p.type !== 'data' || p.payload.length === 0) continue;
      const band = p.payload[0];
      const data = p.payload.subarray(1);
      if (band === 1) band1.push(data);
      else
        messages.push(
          ...data
            .toString('utf8')
            .split(/[\r\n]+/)
            .map((s) => s.trim())
            .filter(Boolean),
        );
    }
    statusPkts = splitPktLines(Buffer.concat(band1)).pkts;
  }
  const report: ReportStatus = { refs: new Map(), messages };
  for (const p of statusPkts) {
    if (p.type !== 'data') continue;
    const line = p.payload.toString('utf8').replace(/\n$/, '');
    if (line.startsWith('unpack ')) report.unpack = line.slice('unpack '.length);
    else if (line.startsWith('ok ')) report.refs.set(line.slice(3), { ok: true });
    else if (line.startsWith('ng ')) {
      const rest = line.slice(3);
      const space = rest.indexOf(' ');
      const ref = space < 0 ? rest : rest.slice(0, space);
      report.refs.set(ref, { ok: false, reason: space < 0 ? 'rejected' : rest.slice(space + 1) });
    }
  }
  return report;
}
