import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Account } from '../../../src-shared/model/account';
import type { CliContext } from '../context';
import { readSecret, table, UsageError } from '../io';

function describeAccount(a: Account): string[] {
  const expiry = a.expiresAt ? a.expiresAt.slice(0, 10) : 'never';
  return [
    a.id,
    a.host,
    a.username,
    a.authMethod === 'pat' ? 'token' : 'oauth',
    a.scopes.join(','),
    expiry,
    a.health.signInAgain ? 'sign in again' : a.health.status,
  ];
}

const HEADERS = ['ID', 'INSTANCE', 'USER', 'AUTH', 'SCOPES', 'EXPIRES', 'HEALTH'];

export function registerAccounts(program: Command, ctx: CliContext): void {
  const accounts = program.command('accounts').description('connect, list, test and remove GitLab accounts');

  accounts
    .command('add')
    .description('connect an account; the token is read from standard input or a prompt, never from arguments')
    .option('--url <url>', 'instance URL, e.g. https://gitlab.company.com (default https://gitlab.com)')
    .option('--oauth', 'sign in through the browser (OAuth with PKCE) instead of a token')
    .option('--allow-http', 'allow a plain http:// instance URL')
    .option('--ca-file <pem>', 'extra CA certificates (PEM) for this instance')
    .option('--proxy <url>', 'HTTP proxy for this account')
    .action(async (opts: { url?: string; oauth?: boolean; allowHttp?: boolean; caFile?: string; proxy?: string }) => {
      const api = await ctx.api();
      const network = {
        useSystemCa: true,
        ...(opts.caFile ? { caCertificatesPem: await readCa(opts.caFile) } : {}),
        ...(opts.proxy ? { proxyUrl: opts.proxy } : {}),
      };
      let result;
      if (opts.oauth) {
        const flow = await api.accounts.beginOAuth({ instanceUrl: opts.url, redirect: 'loopback', network });
        ctx.out.info(`Finish signing in in your browser. If it did not open, visit:\n  ${flow.authorizeUrl}`);
        result = await api.accounts.waitForOAuth(flow.flowId);
      } else {
        if (!opts.url) throw new UsageError('--url is required for a token (use --oauth for gitlab.com sign-in).');
        const token = await readSecret(`Personal access token for ${opts.url}: `);
        result = await api.accounts.connectWithToken({
          instanceUrl: opts.url,
          token,
          allowHttp: Boolean(opts.allowHttp),
          network,
        });
      }
      ctx.out.result(result, (r) =>
        [
          `Connected ${r.account.username} on ${r.account.host} (${r.account.id}).`,
          ...r.warnings.map((w) => `warning: ${w.message}`),
        ].join('\n'),
      );
    });

  accounts
    .command('list')
    .description('list connected accounts')
    .action(async () => {
      const list = await (await ctx.api()).accounts.list();
      ctx.out.result(list, (l) =>
        l.length
          ? table(HEADERS, l.map(describeAccount))
          : 'No accounts. Add one with `cospec accounts add --url URL`.',
      );
    });

  accounts
    .command('test <id>')
    .description('validate an account again (token, scopes, instance reachability)')
    .action(async (id: string) => {
      const account = await (await ctx.api()).accounts.revalidate(id);
      ctx.out.result(
        account,
        (a) =>
          `${a.username} on ${a.host}: ${a.health.signInAgain ? 'sign in again' : a.health.status}${a.health.message ? ` — ${a.health.message}` : ''}`,
      );
    });

  accounts
    .command('remove <id>')
    .description('disconnect an account: revoke OAuth tokens and delete its secrets and cached data')
    .action(async (id: string) => {
      await (await ctx.api()).accounts.disconnect(id);
      ctx.out.result({ removed: id }, () => `Removed ${id}.`);
    });
}

async function readCa(path: string): Promise<string> {
  const pem = await readFile(path, 'utf8').catch(() => {
    throw new UsageError(`Cannot read the CA file ${path}.`);
  });
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`${path} holds no PEM certificate.`);
  return pem;
}
