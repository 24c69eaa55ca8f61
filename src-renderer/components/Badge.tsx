import type { ReactNode } from 'react';
import { cx } from './cx';

export type Tone = 'neutral' | 'accent' | 'success' | 'warning' | 'danger' | 'info';

/** A small pill for a status, a scope, a method. `dot` prefixes a coloured dot (for health). */
export function Badge({
  tone = 'neutral',
  dot,
  outline,
  icon,
  title,
  children,
}: {
  tone?: Tone;
  dot?: boolean;
  outline?: boolean;
  icon?: ReactNode;
  title?: string;
  children: ReactNode;
}) {
  return (
    <span
      className={cx('badge', tone !== 'neutral' && `badge-${tone}`, dot && 'badge-dot', outline && 'badge-outline')}
      title={title}
    >
      {icon}
      {children}
    </span>
  );
}
