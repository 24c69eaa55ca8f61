// Generic UI for every feature. Components never import features/ or api/.
export { Button, type ButtonProps, type ButtonVariant } from './Button';
export { Card, CardHeader, CardBody, CardFooter } from './Card';
export { Badge, type Tone } from './Badge';
export { Spinner, LoadingState } from './Spinner';
export { TextField, TextArea, Checkbox } from './TextField';
export { Notice, ErrorBanner, type BannerTone, type DisplayableError } from './Banner';
export { RateLimitNotice } from './RateLimitNotice';
export { EmptyState } from './EmptyState';
export { PageHeader } from './PageHeader';
export { Dialog } from './Dialog';
export { Avatar } from './Avatar';
export { KeyValue } from './KeyValue';
export { SegmentedControl } from './SegmentedControl';
export { RelativeTime, formatDate, formatRelative } from './time';
export { cx } from './cx';
