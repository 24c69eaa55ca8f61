import { useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Project } from '../../../src-shared/model/project';
import { ProjectRow } from './ProjectRow';

const ROW_HEIGHT = 68;

interface Props {
  projects: Project[];
  onStartRun(project: Project): void;
}

/**
 * Only the rows in view (plus a few) are in the DOM, so an account with thousands of projects
 * scrolls as smoothly as one with ten. Rows have a fixed height: no measuring while scrolling.
 */
export function ProjectList({ projects, onStartRun }: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read during render by design
  const virtualizer = useVirtualizer({
    count: projects.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    getItemKey: (index) => projects[index]?.id ?? index,
  });

  return (
    <div ref={scrollRef} className="virtual-scroll" role="list" aria-label="Repositories" data-testid="project-list">
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => {
          const project = projects[item.index];
          if (!project) return null;
          return (
            <div
              key={item.key}
              role="listitem"
              className="virtual-row"
              style={{ height: item.size, transform: `translateY(${item.start}px)` }}
            >
              <ProjectRow project={project} onStartRun={onStartRun} />
            </div>
          );
        })}
      </div>
    </div>
  );
}
