import { CircleCheck, CirclePause, CircleSlash, CircleX } from 'lucide-react';
import type { RunState } from '../../../src-shared/model/run';
import { Badge, Spinner, type Tone } from '../../components';
import { STATE_LABELS, stateTone } from './format';

const TONES = {
  success: 'success',
  danger: 'danger',
  neutral: 'neutral',
  warning: 'warning',
  live: 'accent',
} as const satisfies Record<ReturnType<typeof stateTone>, Tone>;
const ICONS = { success: CircleCheck, danger: CircleX, neutral: CircleSlash, warning: CirclePause } as const;

/** A run's state as a coloured pill; live states spin so a glance tells what is still going. */
export function StateBadge({ state }: { state: RunState }) {
  const tone = stateTone(state);
  const icon =
    tone === 'live' ? (
      <Spinner size={10} />
    ) : (
      (() => {
        const Icon = ICONS[tone];
        return <Icon aria-hidden />;
      })()
    );
  return (
    <span className="state-badge" data-state={state} data-testid="state-badge">
      <Badge tone={TONES[tone]} icon={icon}>
        {STATE_LABELS[state]}
      </Badge>
    </span>
  );
}
