import { when } from '../lib/format';
import type { AuditEntry } from '../lib/types';
import { Empty } from './Feedback';

/** Who did what, newest first: when, actor, action, subject, before → after. */
export function AuditList({ entries }: { entries: AuditEntry[] }) {
  if (entries.length === 0) return <Empty testid="audit-empty">Nothing recorded yet</Empty>;
  return (
    <ul className="items" data-testid="audit-list">
      {entries.map((e) => (
        <li className="item" key={String(e.id)} data-testid={`audit-${e.id}`} data-action={e.action}>
          <div className="item-top">
            <span className="item-title wrap mono">{e.action}</span>
            <span className="item-sub nowrap">{when(e.at)}</span>
          </div>
          <div className="item-sub">
            {e.actor}
            {e.role !== 'admin' ? ` · ${e.role}` : ''}
            {e.subject ? ` · ${e.subject}` : ''}
          </div>
          {(e.before || e.after) && (
            <div className="change">
              {e.before && <span className="before">{e.before}</span>}
              {e.before && e.after && <span aria-label="changed to"> → </span>}
              {e.after && <span className="after">{e.after}</span>}
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}
