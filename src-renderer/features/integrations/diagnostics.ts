import type { ErrorCode } from '../../../src-shared/ipc/errors';

/** What the user can do about a failed connection, beyond the service's own message. */
export interface Diagnosis {
  title: string;
  advice: string;
  /** An action the Integrations screen offers for this failure. */
  action?: 'trust-ca' | 'allow-http' | 'proxy' | 'retry';
}

/**
 * Advice per error code, written for a developer on a laptop whose GitLab sits behind a VPN. The
 * service's message says what happened (it names the host); this says what to try next.
 */
const DIAGNOSES: Partial<Record<ErrorCode, Diagnosis>> = {
  DNS_FAILURE: {
    title: 'Can’t find that server',
    advice:
      'The name did not resolve. If your GitLab is internal, check that you are connected to the VPN, then try again.',
    action: 'retry',
  },
  CONNECTION_REFUSED: {
    title: 'The server refused the connection',
    advice:
      'Nothing is accepting connections at that address and port. Check the URL (and port), and that the instance is up.',
    action: 'retry',
  },
  CONNECTION_TIMEOUT: {
    title: 'The server did not answer',
    advice:
      'The connection timed out. A VPN that is down, a firewall, or a proxy you need to go through are the usual causes.',
    action: 'proxy',
  },
  CONNECTION_RESET: {
    title: 'The connection was dropped',
    advice: 'Something between you and the server closed the connection. A proxy or firewall may be interfering.',
    action: 'proxy',
  },
  TLS_UNKNOWN_CA: {
    title: 'The server’s certificate isn’t trusted',
    advice:
      'It was issued by a certificate authority this computer doesn’t know, common for company-internal GitLabs. Add your company’s CA certificate (PEM) for this account.',
    action: 'trust-ca',
  },
  TLS_HOSTNAME_MISMATCH: {
    title: 'The certificate is for a different name',
    advice:
      'The server presented a certificate that does not match the host in the URL. Use the exact host name on the certificate.',
  },
  TLS_CERT_EXPIRED: {
    title: 'The server’s certificate has expired',
    advice:
      'Ask your GitLab administrator to renew it. coSPEC will not connect to a server with an expired certificate.',
  },
  TLS_ERROR: {
    title: 'A secure connection could not be made',
    advice: 'The TLS handshake failed. If you use a TLS-inspecting proxy, add its CA certificate for this account.',
    action: 'trust-ca',
  },
  PROXY_ERROR: {
    title: 'The proxy refused or failed',
    advice:
      'The HTTP proxy could not reach the server for us. Check the proxy address, or whether it allows this host.',
    action: 'proxy',
  },
  INSECURE_URL: {
    title: 'This address uses plain http',
    advice:
      'Tokens sent over http can be read on the network. Use https, or explicitly allow http if this is a trusted test instance.',
    action: 'allow-http',
  },
  INVALID_URL: {
    title: 'That isn’t a valid address',
    advice: 'Enter the address you open GitLab at, for example https://gitlab.company.com.',
  },
  UNAUTHORIZED: {
    title: 'GitLab didn’t accept the token',
    advice: 'Check that you copied the whole token and that it hasn’t been revoked.',
  },
  TOKEN_EXPIRED: {
    title: 'The token has expired',
    advice: 'Create a new token with an expiration date in the future and paste it here.',
  },
  TOKEN_REVOKED: { title: 'The token was revoked', advice: 'Create a new token for the bot user and paste it here.' },
  MISSING_SCOPE: {
    title: 'The token is missing a scope',
    advice: 'coSPEC needs the api and read_user scopes. Create a token with both selected.',
  },
  FORBIDDEN: {
    title: 'GitLab refused access',
    advice: 'The user may be blocked, or an instance setting forbids API access with tokens.',
  },
  NOT_GITLAB: {
    title: 'That doesn’t look like a GitLab',
    advice:
      'The server answered, but not like GitLab’s API. Check the URL; for installs under a path, include it (https://host/gitlab).',
  },
  GITLAB_TOO_OLD: {
    title: 'This GitLab is too old',
    advice: 'coSPEC needs a newer GitLab version. Ask your administrator about upgrading.',
  },
  SERVER_ERROR: {
    title: 'GitLab had a problem',
    advice: 'The instance returned a server error. Try again in a moment.',
    action: 'retry',
  },
  RATE_LIMITED: { title: 'GitLab is rate-limiting requests', advice: 'Wait a minute and try again.', action: 'retry' },
  ACCOUNT_EXISTS: {
    title: 'Already connected',
    advice: 'This user on this instance is already connected. You can find it under Accounts.',
  },
  SECURE_STORAGE_UNAVAILABLE: {
    title: 'No secure storage available',
    advice:
      'coSPEC keeps tokens only in the system keychain, and none could be reached. On Linux, make sure a Secret Service (GNOME Keyring, KWallet) is running and unlocked.',
  },
  PLAINTEXT_STORAGE_REFUSED: {
    title: 'Only plain-text storage is available',
    advice: 'This system offers no encrypted storage for secrets, so coSPEC won’t save the token.',
  },
  POLICY_FORBIDS: {
    title: 'Not allowed by your organization',
    advice: 'Your organization’s managed settings do not allow connecting this instance.',
  },
  OAUTH_NOT_CONFIGURED: {
    title: 'Signing in with OAuth isn’t set up',
    advice:
      'coSPEC doesn’t know an OAuth application for this instance yet. Connect with a Personal Access Token, or ask your administrator to register one.',
  },
  OAUTH_DENIED: {
    title: 'Access was not granted',
    advice: 'The authorization was cancelled or denied in the browser. Start again when you are ready.',
  },
  OAUTH_TIMEOUT: {
    title: 'The browser never came back',
    advice: 'The sign-in wasn’t finished in time. Start again and complete it in your browser.',
  },
  OAUTH_STATE_MISMATCH: {
    title: 'The sign-in response didn’t match',
    advice: 'The response belonged to a different or older sign-in attempt, so it was ignored. Start again.',
  },
  OAUTH_INVALID_GRANT: {
    title: 'GitLab rejected the sign-in code',
    advice: 'The code was already used or has expired. Start again.',
  },
  SIGN_IN_AGAIN: {
    title: 'Sign in again',
    advice: 'GitLab no longer accepts this account’s saved sign-in. Open Accounts and choose “Sign in again”.',
  },
  INVALID_DEEP_LINK: {
    title: 'An unexpected link was received',
    advice: 'coSPEC ignored a link it did not recognise. Start the sign-in again.',
  },
  CANCELLED: { title: 'Cancelled', advice: 'Nothing was changed.' },
};

export function diagnose(code: ErrorCode): Diagnosis {
  return (
    DIAGNOSES[code] ?? {
      title: 'Couldn’t connect',
      advice: 'Something unexpected went wrong. The details below may help your administrator.',
      action: 'retry',
    }
  );
}
