import { parseArgs } from 'node:util';
import { startGitLabStandIn } from './index';

/**
 * `npm run gitlab:local [-- --port 8929 --tls --data-dir DIR --json]`: serves the stand-in until
 * SIGINT/SIGTERM and prints its URL and seeded credentials (--json: exactly one line for scripts).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      tls: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      version: { type: 'string' },
      'mergeability-delay': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run gitlab:local -- [--port N] [--host ADDR] [--tls] [--data-dir DIR] [--version X.Y.Z] [--mergeability-delay MS] [--json]\n',
    );
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a port number, got "${values.port}"`);
  const delay = values['mergeability-delay'] === undefined ? 0 : Number(values['mergeability-delay']);
  if (!Number.isInteger(delay) || delay < 0)
    throw new Error(`--mergeability-delay must be milliseconds, got "${values['mergeability-delay']}"`);
  const gitlab = await startGitLabStandIn({
    mergeabilityDelayMs: delay,
    port,
    host: values.host,
    tls: values.tls,
    dataDir: values['data-dir'],
    version: values.version,
  });
  const users = gitlab.users.map(({ username, password, token, role }) => ({ username, password, token, role }));
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ url: gitlab.url, users, ...(gitlab.caPem ? { caPem: gitlab.caPem } : {}) })}\n`,
    );
  } else {
    const lines = [
      `GitLab stand-in listening on ${gitlab.url}`,
      `  OAuth application id: ${gitlab.oauthApp.clientId} (redirects: ${gitlab.oauthApp.redirectUris.join(', ')})`,
      `  Repositories: ${gitlab.dataDir}/repositories`,
      '',
      '  user          password               personal access token          role',
      ...users.map((u) => `  ${u.username.padEnd(13)} ${u.password.padEnd(22)} ${u.token.padEnd(30)} ${u.role}`),
      '',
      `  Special tokens of cospec-bot: expired ${gitlab.tokens.expired}, revoked ${gitlab.tokens.revoked}, read_user only ${gitlab.tokens.readUserOnly}`,
      `  Clone: git clone ${gitlab.url.replace('://', '://oauth2:' + gitlab.user('cospec-bot').token + '@')}/acme/web-app.git`,
    ];
    if (gitlab.caPem) lines.push('', 'CA certificate to trust:', gitlab.caPem.trim());
    lines.push('', 'Press Ctrl+C to stop.');
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  const stop = () => {
    void gitlab.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`gitlab:local failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
