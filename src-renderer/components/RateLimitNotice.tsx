import { useEffect, useState } from 'react';
import { Notice } from './Banner';

/**
 * "Waiting for GitLab's rate limit (42 s)…" while a request waits out a 429, counting down to
 * `until`; gone once the wait is over. Shown wherever a person waits on GitLab.
 */
export function RateLimitNotice({ until, host }: { until: string; host?: string }) {
  const end = Date.parse(until);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const seconds = Math.ceil((end - now) / 1000);
  if (!Number.isFinite(end) || seconds <= 0) return null;
  return (
    <Notice tone="info" title={`Waiting for GitLab’s rate limit (${seconds} s)…`} className="rate-limit-notice">
      {host ?? 'GitLab'} asked coSPEC to slow down. The request is repeated by itself when the wait is over; nothing is
      lost.
    </Notice>
  );
}
