import type { Command } from 'commander';
import type { CliContext } from '../context';
import { readSecret, table } from '../io';

/**
 * The agents a run can use and their model keys. A key is read from standard input or a muted
 * prompt, never from arguments, and goes to secure storage; runs add it to the agent's model calls
 * outside the sandbox (the model gateway), so it never enters a container.
 */
export function registerAgents(program: Command, ctx: CliContext): void {
  const agents = program.command('agents').description('list agents and store their model keys');

  agents
    .command('list', { isDefault: true })
    .description('list the agents, the model API each calls and whether its key is stored')
    .action(async () => {
      const view = await (await ctx.api()).settings.get();
      ctx.out.result(view.agents.list, (list) =>
        table(
          ['AGENT', 'NAME', 'MODEL API', 'KEY', 'ALLOWED'],
          list.map((a) => [
            a.name,
            a.label,
            a.modelDomains.join(', ') || '-',
            a.modelKeyLabel ? (a.hasKey ? 'stored' : 'missing') : '-',
            a.allowed ? 'yes' : 'no (policy)',
          ]),
        ),
      );
    });

  agents
    .command('key')
    .description('store an agent’s model key (read from standard input or a prompt), or remove it')
    .argument('<agent>', 'agent name, e.g. claude-code, codex, aider')
    .option('--remove', 'remove the stored key')
    .action(async (agent: string, opts: { remove?: boolean }) => {
      const api = await ctx.api();
      const key = opts.remove ? null : await readSecret(`Model API key for ${agent}: `);
      await api.settings.setAgentKey({ agent, key });
      ctx.out.result({ agent, stored: !opts.remove }, (r) =>
        r.stored
          ? `Stored the model key of ${r.agent} in secure storage; runs add it outside the sandbox.`
          : `Removed the model key of ${r.agent}.`,
      );
    });
}
