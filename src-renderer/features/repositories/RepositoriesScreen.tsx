import { useCallback, useDeferredValue, useState } from 'react';
import { FolderGit2, RefreshCw, Search } from 'lucide-react';
import type { Project } from '../../../src-shared/model/project';
import { useAccounts } from '../../api/accounts';
import { useProjects, useRefreshProjects } from '../../api/repositories';
import {
  Button,
  EmptyState,
  ErrorBanner,
  LoadingState,
  Notice,
  PageHeader,
  RateLimitNotice,
  formatRelative,
} from '../../components';
import { StartRunDialog } from '../runs/StartRunDialog';
import { ProjectList } from './ProjectList';
import './repositories.css';

/** The repositories agents can work on, per account, with the run form one click away. */
export function RepositoriesScreen() {
  const accounts = useAccounts();
  const [picked, setPicked] = useState<string | undefined>();
  // A disconnected account drops out of the picker; fall back to the first one left.
  const accountId = accounts.data?.some((a) => a.id === picked) ? picked : accounts.data?.[0]?.id;
  const [search, setSearch] = useState('');
  const deferredSearch = useDeferredValue(search.trim());
  const projects = useProjects(accountId, deferredSearch);
  const refresh = useRefreshProjects();
  const [runFor, setRunFor] = useState<Project | null>(null);
  // Stable, so the dialog's focus handling does not re-run on every keystroke.
  const closeRunForm = useCallback(() => setRunFor(null), []);

  const list = projects.data;
  const refreshing = refresh.isPending || Boolean(list?.refreshing);
  const unprotected = list?.projects.filter((p) => p.defaultBranchProtected === false).length ?? 0;

  const header = (
    <PageHeader
      title="Repositories"
      description="Projects where the account has Developer access or higher, most recently active first."
      actions={
        accountId && (
          <Button
            icon={<RefreshCw aria-hidden className={refreshing ? 'spin' : undefined} />}
            disabled={refreshing}
            onClick={() => refresh.mutate(accountId)}
          >
            {refreshing ? 'Refreshing…' : 'Refresh'}
          </Button>
        )
      }
    />
  );

  if (accounts.isPending) {
    return (
      <div className="repositories-screen">
        {header}
        <LoadingState />
      </div>
    );
  }
  if (accounts.error) {
    return (
      <div className="repositories-screen">
        {header}
        <ErrorBanner error={accounts.error} />
      </div>
    );
  }
  if (!accountId) {
    return (
      <div className="repositories-screen">
        {header}
        <EmptyState
          icon={<FolderGit2 aria-hidden />}
          title="No GitLab account connected"
          actions={
            <a className="btn btn-primary" href="#/integrations">
              Connect GitLab
            </a>
          }
        >
          Connect gitlab.com or a self-hosted instance to see the repositories agents can work on.
        </EmptyState>
      </div>
    );
  }

  return (
    <div className="repositories-screen">
      {header}
      <div className="repositories-toolbar">
        <select
          className="input select repositories-account"
          value={accountId}
          onChange={(e) => setPicked(e.target.value)}
          aria-label="Account"
        >
          {accounts.data?.map((a) => (
            <option key={a.id} value={a.id}>
              {a.username} · {a.host}
            </option>
          ))}
        </select>
        <div className="repositories-search">
          <Search aria-hidden />
          <input
            className="input"
            type="search"
            placeholder="Search by name or path"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            aria-label="Search repositories"
          />
        </div>
        <span className="repositories-count faint" aria-live="polite" data-testid="repositories-count">
          {list && !(list.refreshing && list.projects.length === 0)
            ? `${list.projects.length.toLocaleString()} ${list.projects.length === 1 ? 'repository' : 'repositories'}`
            : ''}
          {list?.fetchedAt && !refreshing ? ` · updated ${formatRelative(list.fetchedAt)}` : ''}
        </span>
      </div>

      {unprotected > 0 && !deferredSearch && (
        <Notice
          tone="warning"
          title={`${unprotected === 1 ? 'One repository has' : `${unprotected} repositories have`} an unprotected default branch`}
        >
          Protect the default branch in GitLab (Settings → Repository → Protected branches) so merge requests opened by
          agents go through review before they land.
        </Notice>
      )}
      {list?.rateLimitedUntil && list.refreshing && <RateLimitNotice until={list.rateLimitedUntil} />}
      {list?.error && <ErrorBanner error={list.error} title="The list could not be refreshed; showing the last copy" />}
      {projects.error && <ErrorBanner error={projects.error} />}

      {projects.isPending || (list?.refreshing && list.projects.length === 0) ? (
        <LoadingState label="Loading repositories…" />
      ) : list && list.projects.length === 0 ? (
        <EmptyState icon={<FolderGit2 aria-hidden />} title={deferredSearch ? 'No match' : 'No repositories'}>
          {deferredSearch
            ? `No repository name or path contains “${deferredSearch}”.`
            : 'This account has no projects with Developer access or higher. Ask a maintainer to add it to the projects agents should work on.'}
        </EmptyState>
      ) : (
        <ProjectList projects={list?.projects ?? []} onStartRun={setRunFor} />
      )}

      {runFor && <StartRunDialog project={runFor} onClose={closeRunForm} />}
    </div>
  );
}
