import { describe, expect, it } from 'vitest';
import {
  FLUSH_PKT,
  parseReceivePackCommands,
  parseReportStatus,
  pktLine,
} from '../../../src-main/services/gateway/pkt-line';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const Z = '0'.repeat(40);

function sideband(band: number, data: Buffer | string): Buffer {
  return pktLine(Buffer.concat([Buffer.from([band]), Buffer.from(data)]));
}

describe('receive-pack command parsing', () => {
  it('reads every ref update up to the flush and ignores the capabilities and the pack after it', () => {
    const body = Buffer.concat([
      pktLine(`${Z} ${A} refs/heads/feature\0 report-status side-band-64k agent=git/2.39\n`),
      pktLine(`${A} ${B} refs/heads/main\n`),
      pktLine(`${B} ${Z} refs/tags/old\n`),
      FLUSH_PKT,
      Buffer.from('PACK\0\0\0\x02 binary pack data 0000 more'),
    ]);
    const parsed = parseReceivePackCommands(body);
    expect(parsed.complete).toBe(true);
    expect(parsed.commands).toEqual([
      { oldSha: Z, newSha: A, ref: 'refs/heads/feature' },
      { oldSha: A, newSha: B, ref: 'refs/heads/main' },
      { oldSha: B, newSha: Z, ref: 'refs/tags/old' },
    ]);
  });

  it('asks for more bytes while the command list is cut mid-packet', () => {
    const full = Buffer.concat([pktLine(`${Z} ${A} refs/heads/feature\0 report-status\n`), FLUSH_PKT]);
    const cut = parseReceivePackCommands(full.subarray(0, 30));
    expect(cut.complete).toBe(false);
    expect(cut.commands).toEqual([]);
    expect(parseReceivePackCommands(full).complete).toBe(true);
  });

  it('accepts SHA-256 object names and skips shallow lines', () => {
    const a = 'c'.repeat(64);
    const body = Buffer.concat([
      pktLine(`shallow ${'d'.repeat(40)}\n`),
      pktLine(`${'0'.repeat(64)} ${a} refs/heads/x\0 object-format=sha256\n`),
      FLUSH_PKT,
    ]);
    expect(parseReceivePackCommands(body).commands).toEqual([
      { oldSha: '0'.repeat(64), newSha: a, ref: 'refs/heads/x' },
    ]);
  });

  it('stops with an error instead of looping on a body that is not pkt-lines', () => {
    const parsed = parseReceivePackCommands(Buffer.from('not a pkt line at all'));
    expect(parsed.complete).toBe(true);
    expect(parsed.error).toMatch(/invalid pkt-line/);
  });
});

describe('report-status parsing', () => {
  it('reads ok and ng per ref from a plain report', () => {
    const body = Buffer.concat([
      pktLine('unpack ok\n'),
      pktLine('ok refs/heads/feature\n'),
      pktLine('ng refs/heads/main pre-receive hook declined\n'),
      FLUSH_PKT,
    ]);
    const report = parseReportStatus(body);
    expect(report.unpack).toBe('ok');
    expect(report.refs.get('refs/heads/feature')).toEqual({ ok: true });
    expect(report.refs.get('refs/heads/main')).toEqual({ ok: false, reason: 'pre-receive hook declined' });
  });

  it('demultiplexes side-band-64k and keeps the remote messages that explain a refusal', () => {
    const inner = Buffer.concat([
      pktLine('unpack ok\n'),
      pktLine('ng refs/heads/main pre-receive hook declined\n'),
      FLUSH_PKT,
    ]);
    const body = Buffer.concat([
      sideband(2, 'GitLab: You are not allowed to push code to protected branches on this project.\n'),
      sideband(1, inner.subarray(0, 7)), // channel-1 data may be split across packets
      sideband(1, inner.subarray(7)),
      FLUSH_PKT,
    ]);
    const report = parseReportStatus(body);
    expect(report.refs.get('refs/heads/main')).toEqual({ ok: false, reason: 'pre-receive hook declined' });
    expect(report.messages).toEqual([
      'GitLab: You are not allowed to push code to protected branches on this project.',
    ]);
  });

  it('reports an unpack failure', () => {
    const report = parseReportStatus(
      Buffer.concat([
        pktLine('unpack index-pack abnormal exit\n'),
        pktLine('ng refs/heads/x unpacker error\n'),
        FLUSH_PKT,
      ]),
    );
    expect(report.unpack).toBe('index-pack abnormal exit');
    expect(report.refs.get('refs/heads/x')?.ok).toBe(false);
  });
});
