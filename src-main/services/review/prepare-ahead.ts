import type { RunRecord } from '../../../src-shared/model/run';
import type { ReviewService } from './index';

/**
 * When a run that opened or updated MRs succeeds, their local diffs are computed then, while
 * nobody waits, so the reviewer's first open answers from main's kept diffs (diff-cache.ts) rather
 * than from git. Each run's MR once. Returns `stop`, which also waits for the work under way (its
 * git processes write into the data folder, which a caller may remove next).
 */
export function prepareReviewsAhead(
  onRunChange: (listener: (record: RunRecord) => void) => () => void,
  review: Pick<ReviewService, 'prepare'>,
): () => Promise<void> {
  const asked = new Set<string>();
  const working = new Set<Promise<void>>();
  const unsubscribe = onRunChange((record) => {
    if (record.state !== 'succeeded') return;
    for (const output of record.outputs) {
      if (output.kind !== 'merge_request') continue;
      const key = `${record.id}\n${output.iid}`;
      if (asked.has(key)) continue;
      asked.add(key);
      const work = review.prepare({ runId: record.id, mrIid: output.iid });
      working.add(work);
      void work.finally(() => working.delete(work));
    }
  });
  return async () => {
    unsubscribe();
    await Promise.allSettled([...working]);
  };
}
