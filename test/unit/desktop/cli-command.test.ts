import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliLauncherScript, installCliCommandArgs } from '../../../src-main/services/desktop/cli-command';

describe("macOS 'cospec' command install", () => {
  it('the launcher runs the app in CLI mode with every argument passed through unchanged', () => {
    const dir = mkdtempSync(join(tmpdir(), "cospec app's dir $HOME "));
    const app = join(dir, 'coSPEC Desktop');
    writeFileSync(app, '#!/bin/sh\nfor a in "$@"; do printf "[%s]" "$a"; done\n');
    chmodSync(app, 0o755);
    const launcher = join(dir, 'cospec');
    writeFileSync(launcher, cliLauncherScript(app));
    chmodSync(launcher, 0o755);
    execFileSync('sh', ['-n', launcher]);
    const out = execFileSync(launcher, ['run', '--task', 'two words', '$HOME', "it's"], { encoding: 'utf8' });
    expect(out).toBe("[--cospec-cli][run][--task][two words][$HOME][it's]");
  });

  it('osascript gets the launcher base64-encoded, so nothing of the path is interpreted on the way', () => {
    const exe = '/Applications/coSPEC "Desktop" $(touch x).app/Contents/MacOS/coSPEC Desktop';
    const [flag, script] = installCliCommandArgs(exe);
    expect(flag).toBe('-e');
    const m = /^do shell script "(.*)" with administrator privileges$/.exec(script!);
    expect(m).not.toBeNull();
    const shell = m![1]!;
    // Only characters that mean nothing special to AppleScript strings or the shell beyond the plumbing.
    expect(shell).not.toMatch(/["\\$`']/);
    const encoded = /echo ([A-Za-z0-9+/=]+) \|/.exec(shell)![1]!;
    expect(Buffer.from(encoded, 'base64').toString('utf8')).toBe(cliLauncherScript(exe));
    expect(shell).toContain('> /usr/local/bin/cospec && chmod 755 /usr/local/bin/cospec');
  });

  it('refuses a relative executable or an odd install target', () => {
    expect(() => cliLauncherScript('coSPEC Desktop')).toThrow(/absolute/);
    expect(() => installCliCommandArgs('/Applications/x', '/usr/local/bin/cospec; rm -rf /')).toThrow(/target/);
  });
});
