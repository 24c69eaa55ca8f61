import type { Command } from 'commander';
import type { Project } from '../../../src-shared/model/project';
import type { CliContext } from '../context';
import { table, UsageError } from '../io';

export function registerRepos(program: Command, ctx: CliContext): void {
  program
    .command('repos')
    .description('list repositories where an account has Developer access or higher')
    .option('--account <id>', 'only this account (default: every account)')
    .option('--search <text>', 'filter by path or name')
    .option('--refresh', 'fetch from GitLab now instead of using the cache')
    .action(async (opts: { account?: string; search?: string; refresh?: boolean }) => {
      const api = await ctx.api();
      const accounts = await api.accounts.list();
      const chosen = opts.account ? accounts.filter((a) => a.id === opts.account) : accounts;
      if (opts.account && chosen.length === 0)
        throw new UsageError(`No account ${opts.account}; see \`cospec accounts list\`.`);
      const projects: Project[] = [];
      for (const account of chosen) {
        if (opts.refresh) await api.repositories.refresh(account.id);
        const list = await api.repositories.list({ accountId: account.id, search: opts.search });
        if (list.error) ctx.out.info(`${account.username}@${account.host}: ${list.error.message}`);
        projects.push(...list.projects);
      }
      ctx.out.result(projects, (ps) =>
        ps.length
          ? table(
              ['ACCOUNT', 'PROJECT', 'DEFAULT BRANCH', 'VISIBILITY', 'PROTECTED', 'LAST ACTIVITY'],
              ps.map((p) => [
                p.accountId,
                p.archived ? `${p.pathWithNamespace} [archived: read-only]` : p.pathWithNamespace,
                p.defaultBranch ?? '-',
                p.visibility,
                p.defaultBranchProtected === null ? '?' : p.defaultBranchProtected ? 'yes' : 'NO',
                p.lastActivityAt.slice(0, 10),
              ]),
            )
          : chosen.length
            ? 'No repositories with Developer access or higher.'
            : 'No accounts. Add one with `cospec accounts add --url URL`.',
      );
    });
}
