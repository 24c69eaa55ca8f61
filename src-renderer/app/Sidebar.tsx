import type { ReactNode } from 'react';
import { FolderGit2, GitMerge, Play, Settings, UsersRound } from 'lucide-react';
import { useAccounts } from '../api/accounts';
import { useAppInfo } from '../api/app';
import { GitLabLogo } from '../features/integrations/GitLabLogo';
import { cx } from '../components';
import { routeHref, type Route } from './navigation';

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
    >
      <span className="nav-icon">{icon}</span>
      <span className="nav-label">{label}</span>
      {trailing}
    </a>
  );
}

/** The app's left column: brand, navigation between the four areas, version at the foot. */
export function Sidebar({ route }: { route: Route }) {
  const accounts = useAccounts();
  const info = useAppInfo();
  const count = accounts.data?.length ?? 0;
  const unhealthy = accounts.data?.some((a) => a.health.status === 'error') ?? false;
  return (
    <nav className="sidebar" aria-label="Main">
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
          active={route.name === 'integrations'}
          icon={<GitLabLogo size={16} mono={route.name !== 'integrations'} />}
          label="GitLab"
        />
      </div>

      <div className="nav-section">
        <div className="nav-heading">Workspace</div>
        <NavItem
          to={{ name: 'accounts' }}
          active={route.name === 'accounts'}
          icon={<UsersRound />}
          label="Accounts"
          trailing={
            count > 0 ? <span className={cx('nav-count', unhealthy && 'nav-count-alert')}>{count}</span> : undefined
          }
        />
        <NavItem
          to={{ name: 'repositories' }}
          active={route.name === 'repositories'}
          icon={<FolderGit2 />}
          label="Repositories"
        />
        <NavItem to={{ name: 'runs' }} active={route.name === 'runs'} icon={<Play />} label="Runs" />
        <NavItem
          to={{ name: 'reviews' }}
          active={route.name === 'reviews' || route.name === 'review'}
          icon={<GitMerge />}
          label="Reviews"
        />
      </div>

      <div className="nav-section">
        <NavItem to={{ name: 'settings' }} active={route.name === 'settings'} icon={<Settings />} label="Settings" />
      </div>

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
