import { useId, type ComponentPropsWithRef, type ReactNode } from 'react';

interface FieldShell {
  label: ReactNode;
  hint?: ReactNode;
  error?: ReactNode;
}

/** A labelled input with an optional hint and error; the label is tied to the input for a11y and tests. */
export function TextField({ label, hint, error, id, ...input }: FieldShell & ComponentPropsWithRef<'input'>) {
  const auto = useId();
  const fieldId = id ?? auto;
  return (
    <div className="field">
      <label className="field-label" htmlFor={fieldId}>
        {label}
      </label>
      <input
        id={fieldId}
        className="input"
        aria-invalid={error ? true : undefined}
        aria-describedby={hint || error ? `${fieldId}-hint` : undefined}
        {...input}
      />
      {(error || hint) && (
        <span id={`${fieldId}-hint`} className={error ? 'field-error' : 'field-hint'}>
          {error ?? hint}
        </span>
      )}
    </div>
  );
}

/** A labelled multi-line input (monospace: used for PEM certificates and commands). */
export function TextArea({ label, hint, error, id, ...input }: FieldShell & ComponentPropsWithRef<'textarea'>) {
  const auto = useId();
  const fieldId = id ?? auto;
  return (
    <div className="field">
      <label className="field-label" htmlFor={fieldId}>
        {label}
      </label>
      <textarea
        id={fieldId}
        className="textarea"
        aria-invalid={error ? true : undefined}
        spellCheck={false}
        {...input}
      />
      {(error || hint) && <span className={error ? 'field-error' : 'field-hint'}>{error ?? hint}</span>}
    </div>
  );
}

/** A checkbox with a label and an optional line of explanation under it. */
export function Checkbox({
  label,
  hint,
  checked,
  onChange,
  disabled,
}: {
  label: ReactNode;
  hint?: ReactNode;
  checked: boolean;
  onChange(checked: boolean): void;
  disabled?: boolean;
}) {
  return (
    <label className="checkbox">
      <input
        type="checkbox"
        checked={checked}
        disabled={disabled}
        onChange={(e) => onChange(e.currentTarget.checked)}
      />
      <span>
        {label}
        {hint && <span className="checkbox-hint">{hint}</span>}
      </span>
    </label>
  );
}
