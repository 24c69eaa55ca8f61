import type { AnchorHTMLAttributes, MouseEvent } from 'react';
import { openExternal } from './app';

/**
 * A link to a GitLab page, shared by every feature. It lives with the api layer because a click
 * goes through main (components/ may not import api/): the window never navigates away (main
 * denies it), main opens the URL in the system browser after vetting it. The href stays for hover
 * and copy.
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
