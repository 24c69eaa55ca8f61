import { memo } from 'react';
import {
  Archive,
  Building2,
  ExternalLink,
  GitBranch,
  Globe,
  Lock,
  Play,
  ShieldAlert,
  ShieldCheck,
  ShieldQuestion,
} from 'lucide-react';
import type { Project } from '../../../src-shared/model/project';
import { Badge, Button, formatRelative, type Tone } from '../../components';
import { ExternalAnchor } from '../../api/ExternalAnchor';
import { accessLabel } from '../../../src-shared/model/access-level';

const VISIBILITY = {
  private: { icon: Lock, label: 'Private' },
  internal: { icon: Building2, label: 'Internal' },
  public: { icon: Globe, label: 'Public' },
} as const;

function accessTone(level: number): Tone {
  return level >= 50 ? 'accent' : level >= 40 ? 'info' : 'neutral';
}

/** Whether agent merge requests into the default branch must go through review. */
function Protection({ project }: { project: Project }) {
  if (project.defaultBranch === null) return <Badge>Empty repository</Badge>;
  if (project.defaultBranchProtected === true) {
    return (
      <Badge
        tone="success"
        icon={<ShieldCheck aria-hidden />}
        title="Changes reach the default branch only through a merge request"
      >
        Protected
      </Badge>
    );
  }
  if (project.defaultBranchProtected === false) {
    return (
      <ExternalAnchor
        href={project.protectionSettingsUrl}
        className="protection-link"
        title="Anyone with Developer access can push straight to the default branch. Protect it so agent changes go through review."
        data-testid="protect-link"
      >
        <Badge tone="warning" icon={<ShieldAlert aria-hidden />}>
          Unprotected · Protect branch
        </Badge>
      </ExternalAnchor>
    );
  }
  return (
    <Badge icon={<ShieldQuestion aria-hidden />} title="Branch protection has not been checked yet">
      Protection not checked
    </Badge>
  );
}

interface Props {
  project: Project;
  onStartRun(project: Project): void;
}

/** One repository: what it is, the account's role in it, and whether its default branch is safe for agents. */
export const ProjectRow = memo(function ProjectRow({ project, onStartRun }: Props) {
  const vis = VISIBILITY[project.visibility];
  const VisIcon = vis.icon;
  const notRunnable = project.archived
    ? 'Archived on GitLab: it refuses pushes, merge requests and issues, so an agent could not deliver anything.'
    : project.defaultBranch === null
      ? 'The repository is empty: push a first commit.'
      : undefined;
  return (
    <div className="project-row" data-testid="project-row" data-path={project.pathWithNamespace}>
      <div className="project-row-avatar" aria-hidden>
        {project.name.slice(0, 1).toUpperCase()}
      </div>
      <div className="project-row-main">
        <div className="project-row-title">
          <span className="project-row-name">{project.name}</span>
          <span className="project-row-path mono" title={project.pathWithNamespace}>
            {/* Isolated so the right-to-left cut above never reorders the path's slashes. */}
            <bdi dir="ltr">{project.pathWithNamespace}</bdi>
          </span>
          {project.archived && (
            <Badge tone="warning" icon={<Archive aria-hidden />} title={notRunnable}>
              Archived · read-only
            </Badge>
          )}
        </div>
        <div className="project-row-meta">
          <Badge tone={accessTone(project.accessLevel)}>{accessLabel(project.accessLevel)}</Badge>
          <span className="project-row-fact" title={vis.label}>
            <VisIcon aria-hidden /> {vis.label}
          </span>
          {project.defaultBranch && (
            <span className="project-row-fact mono" title="Default branch">
              <GitBranch aria-hidden /> {project.defaultBranch}
            </span>
          )}
          <Protection project={project} />
          <span className="project-row-fact faint">Active {formatRelative(project.lastActivityAt)}</span>
        </div>
      </div>
      <div className="project-row-actions">
        <ExternalAnchor href={project.webUrl} className="btn btn-ghost btn-sm" title="Open in GitLab">
          <ExternalLink aria-hidden /> GitLab
        </ExternalAnchor>
        <Button
          size="sm"
          icon={<Play aria-hidden />}
          onClick={() => onStartRun(project)}
          disabled={notRunnable !== undefined}
          title={notRunnable}
        >
          Start run
        </Button>
      </div>
    </div>
  );
});
