import { useState } from 'react';
import { Empty, ErrorNotice, Loading } from '../../components/Feedback';
import { useResource } from '../../hooks/useResource';
import { errorMessage } from '../../lib/api';
import { admin } from '../../lib/dash';
import { describe, historyMoney, kindWords, money, when } from '../../lib/format';
import { assetName, t } from '../../lib/i18n';
import { haptic } from '../../lib/telegram';
import type { UserRow } from '../../lib/types';
import { useApp } from '../../state';
import { WithdrawalRow } from './WithdrawalRow';

/** One user: balances, recent history and withdrawals; Block (with a reason) or Unblock. */
export function UserDetailView({ id, onChanged }: { id: number; onChanged: (u: UserRow) => void }) {
  const { me } = useApp();
  const r = useResource(() => admin.user(id), [id]);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const u = r.data;

  const setBlocked = async (block: boolean) => {
    if (block && !reason.trim()) {
      setReasonError(t('reason_required'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const row = block ? await admin.block(id, reason.trim()) : await admin.unblock(id);
      haptic.success();
      setReason('');
      r.mutate((d) => (d ? { ...d, ...row } : d));
      onChanged(row);
    } catch (e) {
      haptic.error();
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  if (!u) {
    return (
      <>
        <ErrorNotice error={r.error} onRetry={() => void r.reload()} />
        {r.loading && <Loading />}
      </>
    );
  }
  return (
    <div data-testid="user-detail" data-user-id={u.id}>
      <div className="card">
        <div className="item-top">
          <div>
            <div className="card-title" style={{ margin: 0 }}>
              {u.first_name || t('user_n', { id: u.id })}
            </div>
            <div className="muted small">
              {u.username ? `@${u.username} · ` : ''}#{u.id} · {t('since', { when: when(u.created_at) })}
            </div>
          </div>
          {u.blocked && (
            <span className="status" data-status="rejected" data-testid="user-blocked">
              {t('blocked')}
            </span>
          )}
        </div>
        {u.balances.length === 0 && <p className="muted small">{t('no_balance')}</p>}
        <dl className="rows" style={{ marginTop: 8 }}>
          {u.balances.map((b) => (
            <div className="row" key={b.asset}>
              <dt>{assetName(b.asset)}</dt>
              <dd data-testid={`user-balance-${b.asset}`}>{money(b)}</dd>
            </div>
          ))}
        </dl>
        {u.blocked && u.blocked_reason && <p className="muted small">{t('blocked_reason', { reason: u.blocked_reason })}</p>}
        <ErrorNotice error={error} testid="user-action-error" />
        {u.blocked ? (
          <button className="btn secondary" data-testid="user-unblock" disabled={busy} onClick={() => void setBlocked(false)}>
            {busy ? t('unblocking') : t('unblock')}
          </button>
        ) : u.id === me.user.id ? null : (
          <div className="inline-form">
            <input
              className={`input compact${reasonError ? ' invalid' : ''}`}
              data-testid="block-reason"
              placeholder={t('block_reason_placeholder')}
              maxLength={200}
              value={reason}
              onChange={(e) => {
                setReason(e.target.value);
                setReasonError(null);
              }}
            />
            {reasonError && <div className="field-error">{reasonError}</div>}
            <button className="btn secondary danger-text" style={{ marginTop: 10 }} data-testid="user-block" disabled={busy} onClick={() => void setBlocked(true)}>
              {busy ? t('blocking') : t('block')}
            </button>
          </div>
        )}
      </div>

      <div className="section-title">{t('recent_history')}</div>
      <div className="card list-card">
        {u.history.length === 0 ? (
          <Empty>{t('history_empty')}</Empty>
        ) : (
          <ul className="items">
            {u.history.map((h) => {
              const m = historyMoney(h);
              return (
                <li className="item" key={String(h.id)} data-testid="user-history-item">
                  <div className="item-top">
                    <span className="item-title">{describe(h.description, h.kind)}</span>
                    <span className={`strong nowrap${m.amount.startsWith('-') ? '' : ' ok'}`}>{money(m)}</span>
                  </div>
                  <div className="item-sub">
                    {kindWords(h.kind)} · {when(h.created_at)}
                  </div>
                </li>
              );
            })}
          </ul>
        )}
      </div>

      <div className="section-title">{t('withdrawals')}</div>
      <div className="card list-card">
        {u.withdrawals.length === 0 ? (
          <Empty>{t('withdrawals_empty')}</Empty>
        ) : (
          <ul className="items">
            {u.withdrawals.map((w) => (
              <WithdrawalRow key={String(w.id)} w={w} testid={`user-withdrawal-${w.id}`} />
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
