import type { AnchorHTMLAttributes, MouseEvent } from 'react';
import { openExternal } from '../../api/app';

/**
 * A link to a GitLab page. The window never navigates away (main denies it): a click asks main to
 * open the URL in the system browser, which vets it first. The href stays for hover and copy.
 */
export function ExternalAnchor({
  href,
  onClick,
  children,
  ...rest
}: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  function open(event: MouseEvent<HTMLAnchorElement>) {
    onClick?.(event);
    event.preventDefault();
    openExternal(href);
  }
  return (
    <a href={href} target="_blank" rel="noreferrer noopener" onClick={open} {...rest}>
      {children}
    </a>
  );
}
