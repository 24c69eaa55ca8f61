import type { ButtonHTMLAttributes, ReactNode } from 'react';
import { cx } from './cx';
import { Spinner } from './Spinner';

export type ButtonVariant = 'primary' | 'secondary' | 'ghost' | 'danger' | 'danger-ghost';

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: ButtonVariant;
  size?: 'sm' | 'md' | 'lg';
  /** An icon element (lucide-react) shown before the label. */
  icon?: ReactNode;
  /** Shows a spinner instead of the icon and disables the button. */
  busy?: boolean;
  /** Square button with only the icon; pass aria-label. */
  iconOnly?: boolean;
}

/** The one button of the app; `type` defaults to "button" so forms never submit by accident. */
export function Button({
  variant = 'secondary',
  size = 'md',
  icon,
  busy,
  iconOnly,
  className,
  children,
  disabled,
  type,
  ...rest
}: ButtonProps) {
  return (
    <button
      type={type ?? 'button'}
      className={cx('btn', `btn-${variant}`, size !== 'md' && `btn-${size}`, iconOnly && 'btn-icon', className)}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      {...rest}
    >
      {busy ? <Spinner size={size === 'sm' ? 12 : 14} /> : icon}
      {children}
    </button>
  );
}
