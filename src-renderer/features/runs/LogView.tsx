import { useEffect, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { ArrowDownToLine } from 'lucide-react';
import { Button } from '../../components';

const LINE_HEIGHT = 20;

interface Props {
  lines: string[];
  live: boolean;
  emptyText: string;
}

/**
 * The agent's output, virtualised (a long run writes tens of thousands of lines). It follows the
 * end while the user is at the bottom; scrolling up pauses following until they come back down.
 */
export function LogView({ lines, live, emptyText }: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read during render by design
  const virtualizer = useVirtualizer({
    count: lines.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => LINE_HEIGHT,
    overscan: 20,
  });

  useEffect(() => {
    if (follow && lines.length > 0) virtualizer.scrollToIndex(lines.length - 1, { align: 'end' });
  }, [follow, lines.length, virtualizer]);

  function onScroll() {
    const el = scrollRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < LINE_HEIGHT * 2;
    setFollow(atBottom);
  }

  if (lines.length === 0) {
    return <div className="log-empty">{emptyText}</div>;
  }

  return (
    <div className="log-frame">
      <div
        ref={scrollRef}
        className="log"
        onScroll={onScroll}
        data-testid="run-log"
        role="log"
        aria-live={live ? 'polite' : 'off'}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => (
            <div
              key={item.key}
              className="log-line"
              style={{ height: LINE_HEIGHT, transform: `translateY(${item.start}px)` }}
            >
              <span className="log-number" aria-hidden>
                {item.index + 1}
              </span>
              <span className="log-text">{lines[item.index]}</span>
            </div>
          ))}
        </div>
      </div>
      {!follow && (
        <Button size="sm" className="log-follow" icon={<ArrowDownToLine aria-hidden />} onClick={() => setFollow(true)}>
          Follow output
        </Button>
      )}
    </div>
  );
}
