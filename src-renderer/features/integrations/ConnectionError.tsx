import { useEffect, useRef } from 'react';
import { Button, Notice } from '../../components';
import type { UiError } from '../../api/client';
import { diagnose, type Diagnosis } from './diagnostics';

const ACTION_LABEL = {
  'trust-ca': 'Add a CA certificate…',
  'allow-http': 'Allow http for this instance',
  proxy: 'Set a proxy…',
  retry: 'Try again',
} as const;

/**
 * A failed connection: a plain-words title for its code, the service's message (which names the
 * host and usually says what to do), our advice when the message is a bare statement, and the fix
 * the screen can apply.
 */
export function ConnectionError({
  error,
  onAction,
  busy,
}: {
  error: UiError;
  onAction?: (action: NonNullable<Diagnosis['action']>) => void;
  busy?: boolean;
}) {
  const diagnosis = diagnose(error.code);
  const ref = useRef<HTMLDivElement>(null);
  const sentences = error.message.split(/(?<=[.!?])\s+/).filter(Boolean).length;
  useEffect(() => {
    // The form can be long; make sure the user sees why nothing happened.
    ref.current?.scrollIntoView?.({ block: 'nearest', behavior: 'smooth' });
  }, [error]);
  return (
    <div ref={ref}>
      <Notice
        tone={error.code === 'CANCELLED' ? 'info' : 'danger'}
        title={diagnosis.title}
        detail={`${error.code}${error.detail ? ` · ${error.detail}` : ''}`}
        actions={
          diagnosis.action && onAction ? (
            <Button size="sm" onClick={() => onAction(diagnosis.action!)} busy={busy && diagnosis.action === 'retry'}>
              {ACTION_LABEL[diagnosis.action]}
            </Button>
          ) : undefined
        }
      >
        <span data-testid="connection-error-message">{error.message}</span>
        {sentences <= 1 && <span className="banner-advice">{diagnosis.advice}</span>}
      </Notice>
    </div>
  );
}
