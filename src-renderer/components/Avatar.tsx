import { useState } from 'react';

/**
 * A round avatar image that falls back to initials when there is no URL or it fails to load
 * (offline). Only https and data URLs are requested: the CSP blocks anything else, and a blocked
 * request would only add a console error before the same initials.
 */
export function Avatar({ url, name, size = 32 }: { url?: string | null; name: string; size?: number }) {
  const [failed, setFailed] = useState(false);
  const loadable = Boolean(url && /^(https:|data:image\/)/i.test(url));
  const sizeIt = (el: HTMLElement | null) => {
    if (!el) return;
    el.style.width = `${size}px`;
    el.style.height = `${size}px`;
    el.style.fontSize = `${Math.round(size * 0.4)}px`;
  };
  if (url && loadable && !failed) {
    return (
      <img
        ref={sizeIt}
        className="avatar"
        src={url}
        alt=""
        onError={() => setFailed(true)}
        referrerPolicy="no-referrer"
      />
    );
  }
  const initials = name
    .split(/[\s._-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((p) => p[0]?.toUpperCase())
    .join('');
  return (
    <span ref={sizeIt} className="avatar" aria-hidden>
      {initials || '?'}
    </span>
  );
}
