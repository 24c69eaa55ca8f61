import type { ReactNode } from 'react';
import { CircleAlert, CircleCheck, Info, TriangleAlert } from 'lucide-react';
import { cx } from './cx';

export type BannerTone = 'info' | 'success' | 'warning' | 'danger';

const icons = { info: Info, success: CircleCheck, warning: TriangleAlert, danger: CircleAlert } as const;

/** An inline message with a title, text, optional technical detail and actions. */
export function Notice({
  tone = 'info',
  title,
  children,
  detail,
  actions,
  className,
}: {
  tone?: BannerTone;
  title?: ReactNode;
  children?: ReactNode;
  detail?: ReactNode;
  actions?: ReactNode;
  className?: string;
}) {
  const Icon = icons[tone];
  return (
    <div className={cx('banner', `banner-${tone}`, className)} role={tone === 'danger' ? 'alert' : 'status'}>
      <Icon aria-hidden />
      <div className="banner-body">
        {title && <div className="banner-title">{title}</div>}
        {children && <div className="banner-text">{children}</div>}
        {detail && <div className="banner-detail">{detail}</div>}
        {actions && <div className="banner-actions">{actions}</div>}
      </div>
    </div>
  );
}

/** Shape of what the api layer throws (a CospecError): a stable code and a message meant for people. */
export interface DisplayableError {
  code?: string;
  message: string;
  detail?: string;
}

/** Shows an error from a service call: its message, its code, and optional actions (retry…). */
export function ErrorBanner({
  error,
  title,
  actions,
}: {
  error: DisplayableError;
  title?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <Notice
      tone="danger"
      title={title ?? error.message}
      detail={error.code ? `${error.code}${error.detail ? ` · ${error.detail}` : ''}` : error.detail}
      actions={actions}
    >
      {title ? error.message : undefined}
    </Notice>
  );
}
