import type { ReactNode } from 'react';

/** A two-column list of labelled facts (instance, scopes, expiry …). */
export function KeyValue({ items }: { items: Array<[label: ReactNode, value: ReactNode]> }) {
  return (
    <dl className="kv">
      {items.map(([label, value], i) => (
        <div key={i} className="kv-row">
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
