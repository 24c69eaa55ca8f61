import { cx } from './cx';

/** A small indeterminate spinner in the current text colour. */
export function Spinner({ size = 16, className, label }: { size?: number; className?: string; label?: string }) {
  return (
    <span
      className={cx('spinner', className)}
      role={label ? 'status' : undefined}
      aria-label={label}
      aria-hidden={label ? undefined : true}
      ref={(el) => {
        // Sized through CSSOM rather than a style attribute, which the strict CSP would block.
        if (el) {
          el.style.width = `${size}px`;
          el.style.height = `${size}px`;
        }
      }}
    />
  );
}

/** A centred spinner with a label, for a whole section that is loading. */
export function LoadingState({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="spinner-center" role="status">
      <Spinner size={16} />
      <span>{label}</span>
    </div>
  );
}
