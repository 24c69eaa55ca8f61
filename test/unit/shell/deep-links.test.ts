import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createDeepLinkQueue,
  findDeepLink,
  registerProtocolClient,
  routeDeepLinks,
  strayLinkMessage,
  type ProtocolRegistrationContext,
} from '../../../src-main/shell/deep-links';
import { CospecError } from '../../../src-shared/ipc/errors';
import { preventable } from './recorders';

const link = 'cospec://oauth/callback?code=abc&state=xyz';

describe('deep links', () => {
  it('finds the cospec:// URL among command-line arguments', () => {
    expect(findDeepLink(['/opt/coSPEC/cospec', '--no-sandbox', link])).toBe(link);
    expect(findDeepLink(['electron', '.', 'COSPEC://oauth/callback?code=1'])).toBe('COSPEC://oauth/callback?code=1');
    expect(findDeepLink(['/opt/coSPEC/cospec', 'https://gitlab.com/'])).toBeUndefined();
  });

  it('delivers macOS open-url links and stops the default handling', () => {
    const app = new EventEmitter();
    const delivered: string[] = [];
    let focused = 0;
    routeDeepLinks({ app: app as never, deliver: (url) => delivered.push(url), focus: () => focused++ });
    const event = preventable();
    app.emit('open-url', event, link);
    expect(event.defaultPrevented).toBe(true);
    expect(delivered).toEqual([link]);
  });

  it('turns a second launch into focus plus the link from its argv (Windows, Linux)', () => {
    const app = new EventEmitter();
    const delivered: string[] = [];
    let focused = 0;
    routeDeepLinks({ app: app as never, deliver: (url) => delivered.push(url), focus: () => focused++ });
    app.emit(
      'second-instance',
      preventable(),
      ['C:\\coSPEC\\cospec.exe', '--allow-file-access-from-files', link],
      'C:\\',
    );
    app.emit('second-instance', preventable(), ['C:\\coSPEC\\cospec.exe'], 'C:\\');
    expect(delivered).toEqual([link]);
    expect(focused).toBe(2);
  });

  it('holds links that arrive before the services are ready and delivers them in order', async () => {
    const errors: unknown[] = [];
    const queue = createDeepLinkQueue((e) => errors.push(e));
    const handled: string[] = [];
    queue.push('cospec://oauth/callback?n=1');
    queue.push('cospec://oauth/callback?n=2');
    queue.ready(async (url) => {
      handled.push(url);
      if (url.endsWith('3')) throw new Error('unknown state');
    });
    queue.push('cospec://oauth/callback?n=3');
    await new Promise((r) => setImmediate(r));
    expect(handled).toEqual([
      'cospec://oauth/callback?n=1',
      'cospec://oauth/callback?n=2',
      'cospec://oauth/callback?n=3',
    ]);
    expect(errors).toEqual([new Error('unknown state')]);
  });
});

describe('refused links', () => {
  it('are explained to the user only when no sign-in is waiting to show the error', () => {
    expect(strayLinkMessage(new CospecError('INVALID_DEEP_LINK', 'coSPEC received a link it does not recognise'))).toBe(
      'coSPEC received a link it does not recognise',
    );
    expect(strayLinkMessage(new CospecError('OAUTH_STATE_MISMATCH', 'not ours'))).toBe('not ours');
    expect(strayLinkMessage(new CospecError('OAUTH_DENIED', 'you said no'))).toBeUndefined(); // the waiting flow shows it
    expect(strayLinkMessage(new Error('boom'))).toBeUndefined();
    expect(strayLinkMessage(undefined)).toBeUndefined();
  });
});

describe('cospec:// registration', () => {
  function register(ctx: Partial<ProtocolRegistrationContext>, answer = true) {
    const calls: unknown[][] = [];
    const registered = registerProtocolClient(
      { setAsDefaultProtocolClient: (...args: unknown[]) => (calls.push(args), answer) } as never,
      {
        platform: 'darwin',
        isPackaged: true,
        defaultApp: false,
        argv: ['/Applications/coSPEC.app/Contents/MacOS/coSPEC'],
        execPath: '/x',
        env: {},
        ...ctx,
      },
    );
    return { registered, calls };
  }

  it('registers the packaged app by itself', () => {
    expect(register({})).toEqual({ registered: true, calls: [['cospec']] });
    expect(register({ platform: 'win32' })).toEqual({ registered: true, calls: [['cospec']] });
    expect(register({ platform: 'linux' }).registered).toBe(true);
  });

  it('passes the app folder when running from a development checkout', () => {
    const { calls } = register({
      platform: 'win32',
      isPackaged: false,
      defaultApp: true,
      argv: ['electron.exe', 'out/main/index.js'],
      execPath: 'C:\\electron.exe',
    });
    expect(calls).toEqual([['cospec', 'C:\\electron.exe', [resolve('out/main/index.js')]]]);
  });

  it('reports no registration where Linux cannot route the scheme to this build, so OAuth uses loopback', () => {
    expect(
      register({ platform: 'linux', isPackaged: false, defaultApp: true, argv: ['electron', '.'] }).registered,
    ).toBe(false);
    expect(register({ platform: 'linux', env: { APPIMAGE: '/home/u/coSPEC.AppImage' } }).registered).toBe(false);
    expect(register({ platform: 'darwin' }, false).registered).toBe(false);
  });
});
