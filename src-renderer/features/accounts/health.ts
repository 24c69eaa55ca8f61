import type { Account } from '../../api/accounts';
import type { Tone } from '../../components';

/** The badge for an account's last health check. */
export function healthBadge(health: Account['health']): { tone: Tone; label: string } {
  if (health.signInAgain) return { tone: 'danger', label: 'Sign in again' };
  switch (health.status) {
    case 'ok':
      return { tone: 'success', label: 'Healthy' };
    case 'warning':
      return { tone: 'warning', label: 'Needs attention' };
    case 'error':
      return { tone: 'danger', label: 'Not working' };
    case 'unknown':
      return { tone: 'neutral', label: 'Not checked yet' };
  }
}

/** "Expires in 5 days", "Expired 2 days ago", "Never expires". */
export function expiryText(expiresAt: string | null, now = new Date()): { text: string; tone: Tone } {
  if (!expiresAt) return { text: 'Never expires', tone: 'neutral' };
  const ms = new Date(expiresAt).getTime() - now.getTime();
  const days = Math.round(ms / 86_400_000);
  if (ms <= 0)
    return { text: days === 0 ? 'Expired today' : `Expired ${-days} day${days === -1 ? '' : 's'} ago`, tone: 'danger' };
  if (days <= 7)
    return { text: days === 0 ? 'Expires today' : `Expires in ${days} day${days === 1 ? '' : 's'}`, tone: 'warning' };
  return {
    text: `Expires ${new Date(expiresAt).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' })}`,
    tone: 'neutral',
  };
}
