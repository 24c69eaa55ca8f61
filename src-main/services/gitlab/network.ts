import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { Agent, EnvHttpProxyAgent, ProxyAgent, type Dispatcher } from 'undici';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { NetworkSettings } from '../../../src-shared/model/account';
import { matchesNoProxy, parsePacResult, proxyEnvFrom, redactProxyUrl } from './proxy';

/** The network one account uses for everything: API, git and OAuth. */
export interface AccountNetwork {
  dispatcher: Dispatcher;
  /** The CA bundle to hand to non-undici clients (git); absent when only the default store applies. */
  caPem?: string;
  /** The proxy in effect for this instance, if any (may carry credentials: never log it). */
  proxyUrl?: string;
  /** Where the proxy came from, for diagnostics. */
  proxySource: 'explicit' | 'environment' | 'os' | 'none';
  close(): Promise<void>;
}

export interface NetworkOptions {
  env?: NodeJS.ProcessEnv;
  /** The OS proxy for a URL as Electron resolves it ("PROXY host:port; DIRECT" …). */
  resolveProxy?: (url: string) => Promise<string>;
  connectTimeoutMs?: number;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Splits and checks user-supplied PEM text; a paste that holds no valid certificate is refused. */
export function parseCaPem(pem: string): string[] {
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new CospecError(
      'INVALID_INPUT',
      'The CA certificate text holds no "-----BEGIN CERTIFICATE-----" block. Export the certificate as PEM (Base64) and try again.',
    );
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new CospecError(
        'INVALID_INPUT',
        'One of the CA certificates could not be read. Check that the PEM file is complete.',
        String(error),
      );
    }
  }
  return blocks;
}

/** Builds the dispatcher for one instance from the account's settings, the environment and the OS proxy. */
export async function createAccountNetwork(
  instanceUrl: string,
  settings: NetworkSettings,
  options: NetworkOptions = {},
): Promise<AccountNetwork> {
  const extra = settings.caCertificatesPem ? parseCaPem(settings.caCertificatesPem) : [];
  const customCa = extra.length > 0 || !settings.useSystemCa;
  const ca = customCa ? [...(settings.useSystemCa ? rootCertificates : []), ...extra] : undefined;
  const caPem = ca?.join('\n');
  const tls = ca ? { ca } : {};
  const connect = { ...tls, timeout: options.connectTimeoutMs ?? 10_000 };
  const url = new URL(instanceUrl);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const env = proxyEnvFrom(options.env ?? process.env);
  // The account's own NO_PROXY always applies; the environment's only to the environment's proxy.
  const envNoProxy = [settings.noProxy, env.noProxy].filter(Boolean).join(',');

  const proxied = (proxyUrl: string, source: AccountNetwork['proxySource']): AccountNetwork => {
    let dispatcher: Dispatcher;
    try {
      dispatcher = new ProxyAgent({ uri: proxyUrl, requestTls: tls, proxyTls: tls, connect });
    } catch (error) {
      throw new CospecError(
        'PROXY_ERROR',
        `The proxy address ${redactProxyUrl(proxyUrl)} is not usable. Check the proxy setting.`,
        String(error),
      );
    }
    return { dispatcher, caPem, proxyUrl, proxySource: source, close: () => dispatcher.close() };
  };
  const direct = (): AccountNetwork => {
    const dispatcher = new Agent({ connect });
    return { dispatcher, caPem, proxySource: 'none', close: () => dispatcher.close() };
  };

  if (matchesNoProxy(url.hostname, port, settings.noProxy)) return direct();
  if (settings.proxyUrl) return proxied(settings.proxyUrl, 'explicit');
  if (matchesNoProxy(url.hostname, port, envNoProxy)) return direct();

  const envProxy = url.protocol === 'https:' ? (env.httpsProxy ?? env.httpProxy) : env.httpProxy;
  if (envProxy) {
    // EnvHttpProxyAgent keeps curl's semantics for every origin this account talks to (avatars,
    // OAuth endpoints on another host), not only the instance itself.
    const dispatcher = new EnvHttpProxyAgent({
      httpProxy: env.httpProxy,
      httpsProxy: env.httpsProxy ?? env.httpProxy,
      noProxy: envNoProxy,
      connect,
      requestTls: tls,
      proxyTls: tls,
    } as EnvHttpProxyAgent.Options);
    return { dispatcher, caPem, proxyUrl: envProxy, proxySource: 'environment', close: () => dispatcher.close() };
  }

  if (options.resolveProxy) {
    const pac = await options.resolveProxy(instanceUrl).catch(() => 'DIRECT');
    const osProxy = parsePacResult(pac);
    if (osProxy) return proxied(osProxy, 'os');
  }
  return direct();
}
