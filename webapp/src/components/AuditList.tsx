import { when, whoWords } from '../lib/format';
import { t } from '../lib/i18n';
import type { AuditEntry } from '../lib/types';
import { Empty } from './Feedback';

const roleWords = (role: string) => (role === 'owner' ? t('role_owner') : role === 'operator' ? t('role_operator') : role);

/** Who did what, newest first: when, actor, action, subject, before → after. */
export function AuditList({ entries }: { entries: AuditEntry[] }) {
  if (entries.length === 0) return <Empty testid="audit-empty">{t('audit_empty')}</Empty>;
  return (
    <ul className="items" data-testid="audit-list">
      {entries.map((e) => (
        <li className="item" key={String(e.id)} data-testid={`audit-${e.id}`} data-action={e.action}>
          <div className="item-top">
            <span className="item-title wrap mono">{e.action}</span>
            <span className="item-sub nowrap">{when(e.at)}</span>
          </div>
          <div className="item-sub">
            <span>{whoWords(e.actor)}</span>
            {e.role !== 'admin' ? ` · ${roleWords(e.role)}` : ''}
            {e.subject ? <span className="mono"> · {e.subject}</span> : ''}
          </div>
          {(e.before || e.after) && (
            <div className="change mono">
              {e.before && <span className="before">{e.before}</span>}
              {e.before && e.after && <span aria-label={t('changed_to')}> → </span>}
              {e.after && <span className="after">{e.after}</span>}
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}
