import { describe, expect, it } from 'vitest';
import { findQuickActions } from '../../../src-main/services/gateway/quick-actions';
import { MalformedBodyError, requestParams } from '../../../src-main/services/gateway/request-params';
import { REDACTED, scrubJson, scrubTextBody } from '../../../src-main/services/gateway/response-scrub';

const commands = (text: string) => findQuickActions(text).map((q) => q.command);

describe('quick action lines the gateway refuses', () => {
  it('finds known and unknown /word lines, with or without arguments, in any case', () => {
    expect(commands('/merge')).toEqual(['/merge']);
    expect(commands('Looks good\n/APPROVE\n/target_branch main\n/frobnicate later')).toEqual([
      '/APPROVE',
      '/target_branch',
      '/frobnicate',
    ]);
    expect(commands('/merge\t\n/close  ')).toEqual(['/merge', '/close']);
  });

  it('finds what GitLab would see after dropping carriage returns, and Unicode look-alikes of names', () => {
    expect(commands('a\r\n/me\rrge')).toEqual(['/merge']);
    expect(commands('x\r/close')).toEqual([]); // "\r" removed: "x/close" is one line
    expect(commands('/ſubscribe\n/\u212Aill')).toEqual(['/ſubscribe', '/\u212Aill']);
  });

  it('leaves paths, comments, URLs and indented or quoted lines alone', () => {
    expect(
      commands(
        [
          '/usr/bin/env is missing',
          '/* a comment */',
          '// another',
          '/api/v4/projects returns 500',
          ' /merge (indented: not at the start of the line)',
          '> /merge',
          'see https://example.com/merge',
          '/merge.',
          '/',
        ].join('\n'),
      ),
    ).toEqual([]);
  });

  it('exempts a plain ``` block, and nothing else', () => {
    expect(commands('Try:\n```sh\n/merge\n/tmp\n```\ndone')).toEqual([]);
    // Not a plain fence: an indented opener, tildes, four backticks, a closer with trailing text …
    expect(commands('  ```\n/merge\n```')).toEqual(['/merge']);
    expect(commands('~~~\n/merge\n~~~')).toEqual(['/merge']);
    expect(commands('````\n/merge\n````')).toEqual(['/merge']);
    expect(commands('```\n/merge\n``` \n')).toEqual(['/merge']);
    expect(commands('```\n/merge')).toEqual(['/merge']);
    // … or text around it that could re-pair the fences or wrap them in HTML in some GitLab version.
    expect(commands('a `b\n```\n/merge\n```')).toEqual(['/merge']);
    expect(commands('<div>\n```\n/merge\n```')).toEqual(['/merge']);
    expect(commands('>>>\n```\n/merge\n```\n>>>')).toEqual(['/merge']);
    expect(commands('---\n```\n---\n/merge\n```')).toEqual(['/merge']);
    // After a fence, scanning resumes.
    expect(commands('```\nx\n```\n/merge')).toEqual(['/merge']);
  });
});

describe('request parameters, however encoded', () => {
  const texts = (search: string, body: string, type?: string) =>
    requestParams(search, Buffer.from(body), type).texts.flatMap(commands);

  it('reads JSON (escapes included), forms (& and ;), multipart, the query and untyped bodies', () => {
    expect(texts('', '{"body":"ok\\n\\u002fmerge"}', 'application/json')).toContain('/merge');
    expect(texts('', 'a=1;body=ok%0A%2Fapprove', 'application/x-www-form-urlencoded')).toContain('/approve');
    expect(texts('', 'body=ok%0d%0a%2fclose+now')).toContain('/close');
    expect(texts('?body=%2Fmerge', '')).toContain('/merge');
    const multipart = '--XX\r\nContent-Disposition: form-data; name="body"\r\n\r\nhi\r\n/merge\r\n--XX--\r\n';
    expect(texts('', multipart, 'multipart/form-data; boundary=XX')).toContain('/merge');
    expect(texts('', '{"description":"/label ~x"}')).toContain('/label');
  });

  it('keeps keys with their values, nested form keys by their last segment', () => {
    const parsed = requestParams(
      '?merge_request[target_project_id]=7',
      Buffer.from('{"a":{"to_project_id":9}}'),
      'json',
    );
    expect(parsed.params).toEqual(
      expect.arrayContaining([
        { key: 'target_project_id', value: '7' },
        { key: 'to_project_id', value: '9' },
      ]),
    );
  });

  it('refuses a body that says JSON and is not', () => {
    expect(() => requestParams('', Buffer.from('{"body": x'), 'application/json')).toThrow(MalformedBodyError);
    // What it could read is kept, so a quick action in it is still named.
    const err = (() => {
      try {
        requestParams('', Buffer.from('{"body": "ok",\n/merge'), 'application/json');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(MalformedBodyError);
    expect((err as MalformedBodyError).texts.flatMap(commands)).toEqual(['/merge']);
  });
});

describe('JSON answers, cleaned', () => {
  const ctx = { projectPaths: ['acme/web-app'], secrets: ['glpat-accounttoken123'] };

  it('removes secret fields, CI variable values, URL credentials and GitLab-shaped tokens', () => {
    const out = scrubJson(
      {
        id: 1,
        path_with_namespace: 'acme/web-app',
        runners_token: 'GR1348941abcdefgh',
        ci_job_token_scope_enabled: true,
        token_expires_at: '2030-01-01',
        import_url: 'https://user:hunter2@example.com/x.git',
        variables: [{ key: 'AWS_KEY', value: 'AKIA…', variable_type: 'env_var', masked: false }],
        description: 'token glrt-abcdefghijklmnop and glpat-accounttoken123',
        hooks: [{ url: 'https://h.example', token: 'hook-secret' }],
      },
      ctx,
    );
    expect(out).toEqual({
      id: 1,
      path_with_namespace: 'acme/web-app',
      runners_token: REDACTED,
      ci_job_token_scope_enabled: true,
      token_expires_at: '2030-01-01',
      import_url: 'https://example.com/x.git',
      variables: [{ key: 'AWS_KEY', value: REDACTED, variable_type: 'env_var', masked: false }],
      description: `token ${REDACTED} and ${REDACTED}`,
      hooks: [{ url: 'https://h.example', token: REDACTED }],
    });
  });

  it('cleans a plain-text job log the same way, leaving bytes that are not UTF-8 alone', () => {
    const log = Buffer.concat([
      Buffer.from('$ echo glrt-runner_token_123456 https://ci:s3cret@registry.example/x glpat-accounttoken123\n'),
      Buffer.from([0xff, 0xfe, 0x0a]),
    ]);
    const out = scrubTextBody(log, ctx);
    expect(out.subarray(0, out.length - 3).toString('utf8')).toBe(
      `$ echo ${REDACTED} https://registry.example/x ${REDACTED}\n`,
    );
    expect([...out.subarray(out.length - 3)]).toEqual([0xff, 0xfe, 0x0a]);
  });

  it('shows only the run’s projects: others leave lists and become null as fields', () => {
    const out = scrubJson(
      [
        {
          id: 1,
          path_with_namespace: 'ACME/web-app',
          forked_from_project: { id: 5, path_with_namespace: 'tools/secret' },
        },
        { id: 5, path_with_namespace: 'tools/secret' },
      ],
      ctx,
    );
    expect(out).toEqual([{ id: 1, path_with_namespace: 'ACME/web-app', forked_from_project: null }]);
  });
});
