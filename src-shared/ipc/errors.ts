import { z } from 'zod';

/**
 * Stable error codes that cross IPC. Electron passes only `message` of a thrown Error,
 * so every failure travels as an envelope whose `code` the renderer can branch on.
 */
export const ErrorCodeSchema = z.enum([
  'INVALID_INPUT',
  'UNTRUSTED_SENDER',
  'NOT_FOUND',
  'INTERNAL',
  'CANCELLED',
  // network diagnostics
  'DNS_FAILURE',
  'CONNECTION_REFUSED',
  'CONNECTION_TIMEOUT',
  'CONNECTION_RESET',
  'TLS_UNKNOWN_CA',
  'TLS_HOSTNAME_MISMATCH',
  'TLS_CERT_EXPIRED',
  'TLS_ERROR',
  'PROXY_ERROR',
  'INSECURE_URL',
  'INVALID_URL',
  // GitLab answers
  'UNAUTHORIZED',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
  'MISSING_SCOPE',
  'FORBIDDEN',
  'NOT_GITLAB',
  'GITLAB_TOO_OLD',
  'RATE_LIMITED',
  'SERVER_ERROR',
  // accounts and auth
  'ACCOUNT_EXISTS',
  'OAUTH_STATE_MISMATCH',
  'OAUTH_DENIED',
  'OAUTH_TIMEOUT',
  'OAUTH_INVALID_GRANT',
  'OAUTH_NOT_CONFIGURED',
  'SIGN_IN_AGAIN',
  'INVALID_DEEP_LINK',
  'SECURE_STORAGE_UNAVAILABLE',
  'PLAINTEXT_STORAGE_REFUSED',
  'SETTINGS_CORRUPT',
  'POLICY_FORBIDS',
  // containers and runs
  'ENGINE_UNAVAILABLE',
  'ENGINE_TIMEOUT',
  'IMAGE_BUILD_FAILED',
  'RUN_FAILED',
  'PROJECT_ARCHIVED',
  'CLONE_FAILED',
  'DISK_FULL',
  'LFS_UNSUPPORTED',
  // reviewing merge requests
  'MR_NOT_OPEN',
  'MR_NOT_MERGEABLE',
  'MR_HEAD_CHANGED',
  'DIFF_UNAVAILABLE',
  'DIFF_POSITION_INVALID',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ErrorEnvelopeSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  detail: z.string().optional(),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;

/** An error a service throws on purpose: its code and message are safe to show the user. */
export class CospecError extends Error {
  override readonly name = 'CospecError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }

  toEnvelope(): ErrorEnvelope {
    return this.detail === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, detail: this.detail };
  }

  static fromEnvelope(envelope: ErrorEnvelope): CospecError {
    return new CospecError(envelope.code, envelope.message, envelope.detail);
  }
}

/** Arguments that fail their contract: the caller's mistake, said as such. */
export function invalidInput(error: z.ZodError): CospecError {
  return new CospecError('INVALID_INPUT', 'The request was not valid.', z.prettifyError(error));
}

/**
 * Turns anything thrown into an envelope; unknown errors keep no internals beyond their message.
 * A ZodError that reaches here was raised inside coSPEC (GitLab JSON of an unexpected shape, a
 * result that fails its own contract): an internal error, not the caller's; the dispatcher turns
 * only argument failures into INVALID_INPUT (invalidInput).
 */
export function toErrorEnvelope(error: unknown): ErrorEnvelope {
  if (error instanceof CospecError) return error.toEnvelope();
  if (error instanceof z.ZodError) {
    return {
      code: 'INTERNAL',
      message: 'coSPEC received data of a shape it did not expect.',
      detail: z.prettifyError(error),
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message: 'Something went wrong inside coSPEC.', detail: message };
}
