import { useEffect, useState } from 'react';
import { Empty, ErrorNotice, Loading } from '../../components/Feedback';
import { errorMessage } from '../../lib/api';
import { admin } from '../../lib/dash';
import { money } from '../../lib/format';
import { t } from '../../lib/i18n';
import type { UserRow } from '../../lib/types';
import { useInnerBack } from '../../state';
import { UserDetailView } from './UserDetail';

/** Find a user by id, @username or name; open one to see their money and block or unblock them. */
export function Users() {
  const [q, setQ] = useState('');
  const [rows, setRows] = useState<UserRow[] | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  useInnerBack(open !== null ? () => setOpen(null) : null);

  const query = q.trim();
  useEffect(() => {
    if (!query) {
      setRows(null);
      setError(null);
      return;
    }
    let live = true;
    setLoading(true);
    const t = setTimeout(() => {
      admin.users(query).then(
        (r) => {
          if (!live) return;
          setRows(r.users ?? []);
          setError(null);
          setLoading(false);
        },
        (e) => {
          if (!live) return;
          setError(errorMessage(e));
          setLoading(false);
        },
      );
    }, 300);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [query]);

  if (open !== null) {
    return (
      <UserDetailView
        id={open}
        onChanged={(u) => setRows((all) => all?.map((x) => (x.id === u.id ? { ...x, ...u } : x)) ?? all)}
      />
    );
  }

  return (
    <>
      <div className="field">
        <input
          className="input"
          type="search"
          data-testid="user-search"
          placeholder={t('user_search_placeholder')}
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
      </div>
      <ErrorNotice error={error} />
      {query && (
        <div className="card list-card">
          {loading && !rows ? (
            <Loading />
          ) : rows && rows.length === 0 ? (
            <Empty testid="users-empty">{t('users_empty')}</Empty>
          ) : (
            <ul className="items">
              {(rows ?? []).map((u) => (
                <li key={u.id}>
                  <button className="item item-button" data-testid={`user-row-${u.id}`} onClick={() => setOpen(u.id)}>
                    <div className="item-top">
                      <span className="item-title">
                        {u.first_name || u.username || t('user_n', { id: u.id })}
                        {u.username ? <span className="muted"> @{u.username}</span> : null}
                      </span>
                      {u.blocked ? <span className="status" data-status="rejected">{t('blocked')}</span> : <span className="chev">›</span>}
                    </div>
                    <div className="item-sub">
                      #{u.id}
                      {u.balances.filter((b) => b.amount !== '0').map((b) => ` · ${money(b)}`)}
                    </div>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {!query && <p className="muted small center">{t('user_search_hint')}</p>}
    </>
  );
}
