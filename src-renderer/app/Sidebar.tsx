import { useEffect, type KeyboardEvent, type ReactNode } from 'react';
import { FolderGit2, GitMerge, Play, Settings, UsersRound } from 'lucide-react';
import { useAccounts } from '../api/accounts';
import { useAppInfo } from '../api/app';
import { GitLabLogo } from '../features/integrations/GitLabLogo';
import { UpdateNotice } from '../features/updates/UpdateNotice';
import { cx } from '../components';
import { navigate, routeHref, sectionForShortcut, sectionOf, type Route } from './navigation';

function NavItem({
  to,
  active,
  icon,
  label,
  trailing,
}: {
  to: Route;
  active: boolean;
  icon: ReactNode;
  label: string;
  trailing?: ReactNode;
}) {
  return (
    <a
      className={cx('nav-item', active && 'nav-item-active')}
      href={routeHref(to)}
      aria-current={active ? 'page' : undefined}
      // roving focus: Tab enters the sidebar on the current section, the arrow keys move within it
      tabIndex={active ? 0 : -1}
    >
      <span className="nav-icon">{icon}</span>
      <span className="nav-label">{label}</span>
      {trailing}
    </a>
  );
}

/** Up/Down (and Home/End) move the focus between the sidebar's links; Enter follows the focused one. */
function onNavKeyDown(e: KeyboardEvent<HTMLElement>) {
  if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(e.key) || e.altKey || e.ctrlKey || e.metaKey) return;
  const items = Array.from(e.currentTarget.querySelectorAll<HTMLAnchorElement>('a.nav-item'));
  // only from a section link: other controls in the sidebar (the update notice) keep their keys
  const from = items.findIndex((a) => a === e.target);
  if (from < 0) return;
  e.preventDefault();
  const next =
    e.key === 'Home'
      ? 0
      : e.key === 'End'
        ? items.length - 1
        : (from + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
  items[next]?.focus();
}

const isMac = () => /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

/** Ctrl+1..N (Cmd on macOS) anywhere in the window jumps to the N-th section and focuses its link. */
function useSectionShortcuts() {
  useEffect(() => {
    const mac = isMac();
    const onKey = (e: globalThis.KeyboardEvent) => {
      const to = sectionForShortcut(e, mac);
      // an open dialog keeps the keyboard: jumping away underneath it would lose what is typed there
      if (!to || document.querySelector('[aria-modal="true"]')) return;
      e.preventDefault();
      navigate(to);
      // the link re-renders as current; focus it so the arrow keys continue from there
      requestAnimationFrame(() =>
        document.querySelector<HTMLAnchorElement>(`nav.sidebar a[href="${routeHref(to)}"]`)?.focus(),
      );
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

/** The app's left column: brand, navigation between the four areas, update notice and version at the foot. */
export function Sidebar({ route }: { route: Route }) {
  const accounts = useAccounts();
  const info = useAppInfo();
  const count = accounts.data?.length ?? 0;
  const unhealthy = accounts.data?.some((a) => a.health.status === 'error') ?? false;
  const section = sectionOf(route);
  useSectionShortcuts();
  return (
    <nav className="sidebar" aria-label="Main" onKeyDown={onNavKeyDown}>
      <div className="sidebar-brand">
        <span className="brand-mark" aria-hidden>
          <svg viewBox="0 0 24 24">
            <path d="M5 7.5 12 3.5l7 4v9l-7 4-7-4z" />
            <path d="M9 10.2 12 8.5l3 1.7v3.6l-3 1.7-3-1.7z" />
          </svg>
        </span>
        <span className="brand-name">coSPEC</span>
      </div>

      <div className="nav-section">
        <div className="nav-heading">Integrations</div>
        <NavItem
          to={{ name: 'integrations' }}
          active={section === 'integrations'}
          icon={<GitLabLogo size={16} mono={route.name !== 'integrations'} />}
          label="GitLab"
        />
      </div>

      <div className="nav-section">
        <div className="nav-heading">Workspace</div>
        <NavItem
          to={{ name: 'accounts' }}
          active={section === 'accounts'}
          icon={<UsersRound />}
          label="Accounts"
          trailing={
            count > 0 ? <span className={cx('nav-count', unhealthy && 'nav-count-alert')}>{count}</span> : undefined
          }
        />
        <NavItem
          to={{ name: 'repositories' }}
          active={section === 'repositories'}
          icon={<FolderGit2 />}
          label="Repositories"
        />
        <NavItem to={{ name: 'runs' }} active={section === 'runs'} icon={<Play />} label="Runs" />
        <NavItem to={{ name: 'reviews' }} active={section === 'reviews'} icon={<GitMerge />} label="Reviews" />
      </div>

      <div className="nav-section">
        <NavItem to={{ name: 'settings' }} active={section === 'settings'} icon={<Settings />} label="Settings" />
      </div>

      <UpdateNotice />

      <div className="sidebar-foot">
        {info.data ? (
          <span title={`${info.data.name} ${info.data.version}\nData: ${info.data.dataDir}`}>
            Version {info.data.version}
            {info.data.host === 'harness' ? ' · test harness' : info.data.host === 'browser' ? ' · browser mode' : ''}
          </span>
        ) : (
          <span>&nbsp;</span>
        )}
      </div>
    </nav>
  );
}
