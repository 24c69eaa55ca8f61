import { useState } from 'react';

/** A round avatar image that falls back to initials when there is no URL or it fails to load (CSP, offline). */
export function Avatar({ url, name, size = 32 }: { url?: string | null; name: string; size?: number }) {
  const [failed, setFailed] = useState(false);
  const sizeIt = (el: HTMLElement | null) => {
    if (!el) return;
    el.style.width = `${size}px`;
    el.style.height = `${size}px`;
    el.style.fontSize = `${Math.round(size * 0.4)}px`;
  };
  if (url && !failed) {
    return <img ref={sizeIt} className="avatar" src={url} alt="" onError={() => setFailed(true)} referrerPolicy="no-referrer" />;
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
