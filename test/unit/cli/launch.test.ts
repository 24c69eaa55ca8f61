import { describe, expect, it, vi } from 'vitest';
import { main } from '../../../src-main/cli/index';
import { CLI_COMMANDS, CLI_FLAG, cliArgsFromArgv } from '../../../src-main/cli/launch';

const exe = '/opt/coSPEC Desktop/cospec-desktop';

describe('cliArgsFromArgv: is this launch of the app binary the cospec CLI?', () => {
  it('takes everything after the launcher flag, whatever it looks like', () => {
    expect(cliArgsFromArgv([exe, CLI_FLAG, 'accounts', 'list', '--json'], false)).toEqual([
      'accounts',
      'list',
      '--json',
    ]);
    expect(cliArgsFromArgv([exe, CLI_FLAG, '--version'], false)).toEqual(['--version']);
    expect(cliArgsFromArgv([exe, CLI_FLAG, '--no-sandbox', 'cospec://x'], false)).toEqual([
      '--no-sandbox',
      'cospec://x',
    ]);
    // `cospec` with no arguments: the CLI's own help, not a window
    expect(cliArgsFromArgv([exe, CLI_FLAG], false)).toEqual([]);
  });

  it('answers a cospec subcommand given directly to the app binary', () => {
    for (const command of CLI_COMMANDS) expect(cliArgsFromArgv([exe, command, 'x'], false)).toEqual([command, 'x']);
    expect(cliArgsFromArgv([exe, 'runs', 'list'], false)).toEqual(['runs', 'list']);
  });

  it('opens the window for everything the OS or a user passes to a normal launch', () => {
    expect(cliArgsFromArgv([exe], false)).toBeNull();
    expect(cliArgsFromArgv([exe, 'cospec://oauth/callback?code=1'], false)).toBeNull();
    expect(cliArgsFromArgv([exe, '--no-sandbox'], false)).toBeNull();
    expect(cliArgsFromArgv([exe, '/home/me/file.txt'], false)).toBeNull();
    expect(cliArgsFromArgv([exe, 'Accounts'], false)).toBeNull();
    // only the first argument decides: a later flag or command does not turn a window launch into the CLI
    expect(cliArgsFromArgv([exe, '--no-sandbox', CLI_FLAG, 'accounts'], false)).toBeNull();
    expect(cliArgsFromArgv([exe, 'cospec://x', 'accounts'], false)).toBeNull();
  });

  it('skips the app path of a development launch (`electron . accounts list`)', () => {
    expect(cliArgsFromArgv(['/x/electron', '.', 'accounts', 'list'], true)).toEqual(['accounts', 'list']);
    expect(cliArgsFromArgv(['/x/electron', '.', CLI_FLAG, 'repos'], true)).toEqual(['repos']);
    expect(cliArgsFromArgv(['/x/electron', '.'], true)).toBeNull();
    // packaged: the first argument is the user's even when it happens to be '.'
    expect(cliArgsFromArgv([exe, '.', 'accounts'], false)).toBeNull();
  });
});

describe('CLI_COMMANDS', () => {
  it("is exactly the CLI's top-level commands, so a new command also works through the app binary", async () => {
    let help = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      help += String(chunk);
      return true;
    });
    try {
      expect(await main(['--help'])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const commands = [...(help.split(/^Commands:$/m)[1] ?? '').matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]);
    expect(commands.length).toBeGreaterThan(3);
    expect([...commands].sort()).toEqual([...CLI_COMMANDS].sort());
  });
});
