import { useState } from 'react';
import { Empty, ErrorNotice, Loading } from '../../components/Feedback';
import { useResource } from '../../hooks/useResource';
import { errorMessage } from '../../lib/api';
import { admin } from '../../lib/dash';
import { statusWords, whoWords } from '../../lib/format';
import { amountText, t } from '../../lib/i18n';
import { haptic } from '../../lib/telegram';
import type { AdminWithdrawal } from '../../lib/types';
import { WithdrawalRow } from './WithdrawalRow';

/** Withdrawals over the approval threshold: approve, or reject with a reason (the user is refunded). */
export function Approvals() {
  const r = useResource(() => admin.withdrawals('awaiting_approval'), []);
  const [rejecting, setRejecting] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const drop = (id: string) => r.mutate((d) => (d ? { withdrawals: d.withdrawals.filter((w) => String(w.id) !== id) } : d));

  const act = async (w: AdminWithdrawal, approve: boolean) => {
    const id = String(w.id);
    if (!approve && !reason.trim()) {
      setReasonError(t('reason_required'));
      return;
    }
    setBusy(id);
    setError(null);
    setDone(null);
    try {
      const out = approve ? await admin.approve(w.id) : await admin.reject(w.id, reason.trim());
      haptic.success();
      drop(id);
      setRejecting(null);
      setReason('');
      setDone(t(approve ? 'approved_for' : 'rejected_for', { amount: amountText(out.amount?.formatted ?? w.amount.formatted, w.asset), who: whoWords(w.who), status: statusWords(out.status) }));
    } catch (e) {
      haptic.error();
      setError(errorMessage(e));
      // No longer awaiting approval (another admin acted): the list is stale.
      void r.reload(true);
    } finally {
      setBusy(null);
    }
  };

  const list = r.data?.withdrawals ?? [];
  return (
    <>
      <ErrorNotice error={r.error} onRetry={() => void r.reload()} />
      <ErrorNotice error={error} testid="action-error" />
      {done && (
        <div className="notice ok" role="status" data-testid="action-done">
          {done}
        </div>
      )}
      <div className="card list-card">
        {r.loading && !r.data ? (
          <Loading />
        ) : list.length === 0 ? (
          <Empty testid="approvals-empty">{t('approvals_empty')}</Empty>
        ) : (
          <ul className="items">
            {list.map((w) => {
              const id = String(w.id);
              return (
                <WithdrawalRow key={id} w={w} testid={`approval-${id}`}>
                  {rejecting === id ? (
                    <div className="inline-form">
                      <input
                        className={`input compact${reasonError ? ' invalid' : ''}`}
                        data-testid="reject-reason"
                        placeholder={t('reject_reason_placeholder')}
                        maxLength={200}
                        autoFocus
                        value={reason}
                        onChange={(e) => {
                          setReason(e.target.value);
                          setReasonError(null);
                        }}
                      />
                      {reasonError && <div className="field-error">{reasonError}</div>}
                      <div className="item-actions">
                        <button className="btn small danger-fill" data-testid="reject-confirm" disabled={busy !== null} onClick={() => void act(w, false)}>
                          {busy === id ? t('rejecting') : t('reject_and_refund')}
                        </button>
                        <button className="btn small secondary" onClick={() => setRejecting(null)}>
                          {t('cancel')}
                        </button>
                      </div>
                    </div>
                  ) : (
                    <>
                      <button className="btn small" data-testid={`approve-${id}`} disabled={busy !== null} onClick={() => void act(w, true)}>
                        {busy === id ? t('approving') : t('approve')}
                      </button>
                      <button
                        className="btn small secondary danger-text"
                        data-testid={`reject-${id}`}
                        disabled={busy !== null}
                        onClick={() => {
                          setRejecting(id);
                          setReason('');
                          setReasonError(null);
                        }}
                      >
                        {t('reject')}
                      </button>
                    </>
                  )}
                </WithdrawalRow>
              );
            })}
          </ul>
        )}
      </div>
    </>
  );
}
