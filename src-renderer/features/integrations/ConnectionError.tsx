import { Button, Notice } from '../../components';
import type { UiError } from '../../api/client';
import { diagnose, type Diagnosis } from './diagnostics';

/** A failed connection: the service's message, the advice for its code, and the fix we can offer. */
export function ConnectionError({ error, onAction, busy }: { error: UiError; onAction?: (action: NonNullable<Diagnosis['action']>) => void; busy?: boolean }) {
  const diagnosis = diagnose(error.code);
  const actionLabel = { 'trust-ca': 'Add a CA certificate…', 'allow-http': 'Allow http for this instance', proxy: 'Set a proxy…', retry: 'Try again' } as const;
  return (
    <Notice
      tone={error.code === 'CANCELLED' ? 'info' : 'danger'}
      title={diagnosis.title}
      detail={`${error.code}${error.detail ? ` · ${error.detail}` : ''}`}
      actions={
        diagnosis.action && onAction ? (
          <Button size="sm" onClick={() => onAction(diagnosis.action!)} busy={busy && diagnosis.action === 'retry'}>
            {actionLabel[diagnosis.action]}
          </Button>
        ) : undefined
      }
    >
      <span data-testid="connection-error-message">{error.message}</span>
      <br />
      {diagnosis.advice}
    </Notice>
  );
}
