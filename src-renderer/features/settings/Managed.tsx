import { Lock } from 'lucide-react';
import { Badge } from '../../components';

/** The mark on a setting the organization's policy decides: it is shown, not editable. */
export function ManagedBadge() {
  return (
    <Badge tone="info" icon={<Lock size={12} aria-hidden />} title="Set by your organization's coSPEC policy">
      Managed by your organization
    </Badge>
  );
}
