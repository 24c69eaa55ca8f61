import type { Command } from 'commander';
import type { RunOutput, RunRecord, RunSpecInput } from '../../../src-shared/model/run';
import type { CliContext } from '../context';
import { EXIT, table, UsageError } from '../io';

function outputLine(o: RunOutput): string {
  switch (o.kind) {
    case 'branch':
      return `branch ${o.name} (${o.change}, ${o.commits.length} commit${o.commits.length === 1 ? '' : 's'})${o.webUrl ? `  ${o.webUrl}` : ''}`;
    case 'merge_request':
      return `merge request !${o.iid} ${o.title} [${o.state}${o.change === 'updated' ? ', updated' : ''}]  ${o.webUrl}`;
    case 'issue':
      return `issue #${o.iid} ${o.title} [${o.state}]  ${o.webUrl}`;
  }
}

/** How `run show` names each kind of gateway refusal; an unknown kind is printed as it is. */
const REFUSAL_KINDS: Record<string, string> = {
  push: 'push',
  push_option: 'push option',
  api: 'API call',
  quick_action: 'quick action',
};

/** "continues run N" / "continued by run M": a follow-up's parent and the runs that continue this one. */
function lineageLines(r: RunRecord, all: RunRecord[]): string[] {
  const children = all.filter((c) => c.spec.continues === r.id).map((c) => c.id);
  return [
    ...(r.spec.continues ? [`  continues    run ${r.spec.continues}`] : []),
    ...(children.length ? [`  continued by run ${children.join(', run ')}`] : []),
  ];
}

function showRun(r: RunRecord, all: RunRecord[] = []): string {
  return [
    `Run ${r.id}`,
    ...lineageLines(r, all),
    `  project  ${r.spec.projectPath}${r.spec.branch ? ` (${r.spec.branch})` : ''}`,
    `  state    ${r.state}${r.detail ? ` — ${r.detail}` : ''}`,
    `  agent    ${r.spec.agent.kind === 'adapter' ? r.spec.agent.name : r.spec.agent.command}`,
    `  created  ${r.createdAt}`,
    ...(r.exitCode !== undefined ? [`  exit     ${r.exitCode}`] : []),
    ...(r.egress.some((e) => e.verdict === 'denied')
      ? [
          '  denied destinations:',
          ...r.egress
            .filter((e) => e.verdict === 'denied')
            .flatMap((e) => [
              `    ${e.destination} (${e.count}×)${e.reason ? ` ${e.reason}` : ''}`,
              ...(e.requests ?? []).map((r) => `      ${r}`),
            ]),
          `  allow one and run again: cospec run --rerun ${r.id} --allow HOST`,
        ]
      : []),
    ...(r.refusals.length
      ? [
          '  refused by the gateway:',
          ...r.refusals.map((f) => `    ${REFUSAL_KINDS[f.kind] ?? f.kind} ${f.target} (${f.count}×) ${f.reason}`),
        ]
      : []),
    ...(r.outputs.length ? ['  outputs:', ...r.outputs.map((o) => `    ${outputLine(o)}`)] : []),
    ...modelUsageLines(r.modelUsage),
  ].join('\n');
}

const n = (value: number) => value.toLocaleString('en-US');

/** The run's model calls as the APIs reported their cost, and what the model gateway refused. */
function modelUsageLines(usage: RunRecord['modelUsage']): string[] {
  if (!usage) return [];
  const calls = usage.calls.map(
    (c) =>
      `    ${c.api} ${c.model || '(no model named)'}: ${n(c.requests)} request${c.requests === 1 ? '' : 's'}, ` +
      `${n(c.inputTokens)} input tokens${c.cachedInputTokens ? ` (${n(c.cachedInputTokens)} cached)` : ''}, ` +
      `${n(c.outputTokens)} output tokens`,
  );
  const refused = usage.refused.map((f) => `    ${f.api} ${f.target} (${f.count}×) ${f.reason}`);
  return [
    ...(calls.length ? ['  model calls (through the model gateway):', ...calls] : ['  model calls  none']),
    ...(refused.length ? ['  refused model calls:', ...refused] : []),
  ];
}

interface RunOptions {
  repo?: string;
  account?: string;
  branch?: string;
  task?: string;
  agent?: string;
  command?: string;
  allow: string[];
  timeout?: string;
  tail?: string;
  rerun?: string;
  continue?: string;
}

export function registerRuns(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  program
    .command('runs')
    .description('list runs')
    .action(async () => {
      const runs = await (await ctx.api()).runs.list();
      ctx.out.result(runs, (rs) =>
        rs.length
          ? table(
              ['ID', 'PROJECT', 'STATE', 'CREATED', 'OUTPUTS'],
              rs.map((r) => [r.id, r.spec.projectPath, r.state, r.createdAt.slice(0, 19), String(r.outputs.length)]),
            )
          : 'No runs yet. Start one with `cospec run --repo GROUP/PROJECT --task TEXT`.',
      );
    });

  program
    .command('run')
    .description('start a run, or: run show|logs|outputs|cancel ID')
    .argument('[action]', 'show | logs | outputs | cancel (omit to start a run)')
    .argument('[id]', 'run id')
    .option('--repo <group/project>', 'the repository to work on')
    .option('--account <id>', 'the account to use (default: the only account that has the repository)')
    .option('--branch <name>', 'branch to clone (default: the default branch)')
    .option('--task <text>', 'what the agent should do')
    .option('--agent <name>', 'agent adapter, e.g. sample, claude-code, codex, aider')
    .option('--command <cmd>', 'run this command as the agent instead of an adapter')
    .option(
      '--allow <domain>',
      'extra egress destination for this run (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--rerun <id>', "start a run's task again (with --allow: first add destinations to your allowed ones)")
    .option('--timeout <minutes>', 'wall-clock limit')
    .option('--tail <n>', 'with logs: only the last n lines')
    .option(
      '--continue <id>',
      "follow up on a run: same project, its merge request's branch, its agent and allowlist unless given; without --task, the MR's unresolved review threads",
    )
    .action(async (action: string | undefined, id: string | undefined, opts: RunOptions) => {
      const api = await ctx.api();
      if (action) {
        if (!id) throw new UsageError(`cospec run ${action} needs a run id; see \`cospec runs\`.`);
        switch (action) {
          case 'show': {
            const [record, all] = await Promise.all([api.runs.get(id), api.runs.list()]);
            return ctx.out.result(record, (r) => showRun(r, all));
          }
          case 'outputs': {
            const record = await api.runs.refreshOutputs(id);
            return ctx.out.result(record.outputs, (os) =>
              os.length ? os.map(outputLine).join('\n') : 'This run produced no outputs.',
            );
          }
          case 'logs': {
            const lines = await api.runs.logs(id, opts.tail ? { tail: Number(opts.tail) } : {});
            return ctx.out.result(lines, (ls) => ls.join('\n'));
          }
          case 'cancel':
            return ctx.out.result(await api.runs.cancel(id), (r) => `Run ${r.id}: ${r.state}`);
          default:
            throw new UsageError(`Unknown run action "${action}": use show, logs, outputs or cancel.`);
        }
      }
      if (opts.rerun) {
        if (opts.repo || opts.task || opts.agent || opts.command || opts.branch)
          throw new UsageError('--rerun starts the same task again: give only --allow with it.');
        const again = await api.runs.rerun(opts.rerun, { allow: opts.allow });
        ctx.out.info(`Run ${again.id} queued (the task of run ${opts.rerun}).`);
        return finish(await follow(ctx, again.id));
      }
      if (opts.agent && opts.command) throw new UsageError('Choose --agent or --command, not both.');
      if (opts.continue) {
        const started = await continueRun(ctx, opts.continue, opts);
        ctx.out.info(`Run ${started.id} queued (continues run ${opts.continue}).`);
        return finish(await follow(ctx, started.id));
      }
      if (!opts.repo || !opts.task) throw new UsageError('cospec run needs --repo GROUP/PROJECT and --task TEXT.');
      const accountId = await pickAccount(ctx, opts.repo, opts.account);
      const spec: RunSpecInput = {
        accountId,
        projectPath: opts.repo,
        task: opts.task,
        agent: opts.command
          ? { kind: 'command', command: opts.command }
          : { kind: 'adapter', name: opts.agent ?? 'sample' },
        allow: opts.allow,
        ...(opts.branch ? { branch: opts.branch } : {}),
        ...(opts.timeout ? { timeoutMinutes: Number(opts.timeout) } : {}),
      };
      const started = await api.runs.start(spec as Parameters<typeof api.runs.start>[0]);
      // The run lives in this process: it is followed to the end, and Ctrl-C cancels it.
      ctx.out.info(`Run ${started.id} queued.`);
      finish(await follow(ctx, started.id));
    });

  function finish(finished: RunRecord): void {
    ctx.out.result(finished, (r) => showRun(r));
    if (finished.error?.code === 'ENGINE_UNAVAILABLE') setExit(EXIT.engine);
    else if (finished.state !== 'succeeded') setExit(EXIT.runUnsuccessful);
  }
}

/**
 * `cospec run --continue ID`: a follow-up of run ID on the branch of the merge request it opened
 * (through review, as the app's "Ask the agent to address these comments" does), or on the branch
 * it pushed when it opened none.
 */
async function continueRun(ctx: CliContext, parentId: string, opts: RunOptions): Promise<RunRecord> {
  const api = await ctx.api();
  const parent = await api.runs.get(parentId);
  if (opts.repo && opts.repo.toLowerCase() !== parent.spec.projectPath.toLowerCase())
    throw new UsageError(`Run ${parent.id} worked on ${parent.spec.projectPath}; a follow-up stays in that project.`);
  const agent = opts.command
    ? { kind: 'command' as const, command: opts.command }
    : opts.agent
      ? { kind: 'adapter' as const, name: opts.agent }
      : parent.spec.agent;
  const mr = parent.outputs.find((o) => o.kind === 'merge_request' && o.state === 'opened');
  if (mr?.kind === 'merge_request' && !opts.branch) {
    const draft = await api.review.followUpDraft({ runId: parent.id, mrIid: mr.iid });
    if (!opts.task && draft.threads === 0)
      throw new UsageError(`Merge request !${mr.iid} has no unresolved threads; say what to do with --task TEXT.`);
    return api.review.askAgent({
      runId: parent.id,
      mrIid: mr.iid,
      task: opts.task ?? draft.task,
      agent,
      allow: opts.allow.length ? opts.allow : draft.allow,
    });
  }
  const pushed = parent.outputs.find((o) => o.kind === 'branch' && o.change !== 'deleted');
  const branch = opts.branch ?? (pushed?.kind === 'branch' ? pushed.name : undefined);
  if (!branch) throw new UsageError(`Run ${parent.id} left no branch to continue; start a new run instead.`);
  if (!opts.task) throw new UsageError('cospec run --continue needs --task TEXT when the run opened no merge request.');
  const spec: RunSpecInput = {
    accountId: parent.spec.accountId,
    projectPath: parent.spec.projectPath,
    branch,
    task: opts.task,
    agent,
    allow: opts.allow.length ? opts.allow : parent.spec.allow,
    continues: parent.id,
    ...(opts.timeout ? { timeoutMinutes: Number(opts.timeout) } : {}),
  };
  return api.runs.start(spec as Parameters<typeof api.runs.start>[0]);
}

async function pickAccount(ctx: CliContext, repo: string, explicit?: string): Promise<string> {
  const api = await ctx.api();
  const accounts = await api.accounts.list();
  if (explicit) {
    if (!accounts.some((a) => a.id === explicit))
      throw new UsageError(`No account ${explicit}; see \`cospec accounts list\`.`);
    return explicit;
  }
  if (accounts.length === 0) throw new UsageError('No accounts. Add one with `cospec accounts add --url URL`.');
  if (accounts.length === 1) return accounts[0]!.id;
  const having = [];
  for (const a of accounts) {
    const list = await api.repositories.list({ accountId: a.id, search: repo });
    if (list.projects.some((p) => p.pathWithNamespace.toLowerCase() === repo.toLowerCase())) having.push(a.id);
  }
  if (having.length === 1) return having[0]!;
  throw new UsageError(
    having.length
      ? `Several accounts can reach ${repo} (${having.join(', ')}): choose one with --account.`
      : `No connected account can reach ${repo}.`,
  );
}

/** Streams the run's log and state to the terminal until it ends. */
async function follow(ctx: CliContext, runId: string): Promise<RunRecord> {
  const api = await ctx.api();
  return new Promise<RunRecord>((resolve, reject) => {
    const offLog = ctx.events.on('runs.didLog', ({ runId: id, lines }) => {
      if (id !== runId || ctx.out.json) return;
      ctx.out.endProgress();
      for (const line of lines) process.stderr.write(`  │ ${line}\n`);
    });
    const offChange = ctx.events.on('runs.didChange', (record) => {
      if (record.id !== runId) return;
      ctx.out.progress(`${record.state}${record.detail ? `: ${record.detail}` : ''}`, record.progress);
      if (['succeeded', 'failed', 'cancelled', 'interrupted'].includes(record.state)) {
        ctx.out.endProgress();
        offLog();
        offChange();
        resolve(record);
      }
    });
    // The run may have ended before we subscribed.
    api.runs.get(runId).then((r) => {
      if (['succeeded', 'failed', 'cancelled', 'interrupted'].includes(r.state)) {
        offLog();
        offChange();
        resolve(r);
      }
    }, reject);
  });
}
