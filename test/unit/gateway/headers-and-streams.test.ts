import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import {
  downstreamResponseHeaders,
  stripCredentialQuery,
  upstreamRequestHeaders,
} from '../../../src-main/services/gateway/headers';
import { CaptureStream, RedactStream } from '../../../src-main/services/gateway/streams';

const TOKEN = 'glpat-abcdefghijklmnopqrst';

describe('header rewriting', () => {
  it('replaces whatever credentials the agent sends with the account token (git: Basic oauth2)', () => {
    const out = upstreamRequestHeaders(
      {
        authorization: 'Basic ' + Buffer.from('someone:else').toString('base64'),
        'private-token': 'glpat-otheridentity123',
        'proxy-authorization': 'Basic eHg6eXk=',
        cookie: '_gitlab_session=abc',
        sudo: 'root',
        'content-type': 'application/x-git-receive-pack-request',
        'git-protocol': 'version=2',
        connection: 'keep-alive, x-custom',
        'x-custom': 'hop',
        host: 'gitlab.example.com',
      },
      'git',
      TOKEN,
    );
    expect(out).toEqual({
      'content-type': 'application/x-git-receive-pack-request',
      'git-protocol': 'version=2',
      authorization: 'Basic ' + Buffer.from(`oauth2:${TOKEN}`).toString('base64'),
    });
  });

  it('uses a Bearer token for the API and asks for an uncompressed body it can scan', () => {
    const out = upstreamRequestHeaders({ 'accept-encoding': 'gzip', authorization: 'Bearer stolen' }, 'api', TOKEN);
    expect(out).toEqual({ 'accept-encoding': 'identity', authorization: `Bearer ${TOKEN}` });
  });

  it('drops credential and impersonation query parameters and keeps the rest', () => {
    expect(stripCredentialQuery('?private_token=x&per_page=5&SUDO=root&access_token=y')).toBe('?per_page=5');
    expect(stripCredentialQuery('?job_token=x')).toBe('');
  });

  it('drops challenges so git fails at once instead of waiting for a password prompt', () => {
    expect(
      downstreamResponseHeaders({
        'www-authenticate': 'Basic realm="GitLab"',
        'set-cookie': 'a=b',
        'transfer-encoding': 'chunked',
        'content-type': 'text/plain',
      }),
    ).toEqual({
      'content-type': 'text/plain',
    });
  });
});

describe('body streams', () => {
  it('masks the token even when it is split across chunks, keeping the length', async () => {
    const text = `{"a":"${TOKEN}","b":"x${TOKEN}${TOKEN}"}`;
    const chunks = [text.slice(0, 10), text.slice(10, 13), text.slice(13, 40), text.slice(40)].map((s) =>
      Buffer.from(s),
    );
    const redact = new RedactStream(TOKEN);
    const out = (await buffer(Readable.from(chunks).pipe(redact))).toString();
    expect(out).not.toContain(TOKEN);
    expect(out.length).toBe(text.length);
    expect(redact.found).toBe(3);
  });

  it('passes everything through while keeping only a bounded copy', async () => {
    const capture = new CaptureStream(5);
    const out = await buffer(Readable.from([Buffer.from('abc'), Buffer.from('defgh')]).pipe(capture));
    expect(out.toString()).toBe('abcdefgh');
    expect(capture.captured().toString()).toBe('abcde');
    expect(capture.truncated).toBe(true);
  });
});
