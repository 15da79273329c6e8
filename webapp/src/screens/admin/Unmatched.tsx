import { useState } from 'react';
import { ExtLink } from '../../components/ExtLink';
import { Empty, ErrorNotice, Loading } from '../../components/Feedback';
import { useResource } from '../../hooks/useResource';
import { errorMessage } from '../../lib/api';
import { admin } from '../../lib/dash';
import { money, shortHash, when, whoWords } from '../../lib/format';
import { t, type Key } from '../../lib/i18n';
import { haptic } from '../../lib/telegram';
import type { UnmatchedDeposit } from '../../lib/types';

// The ledger's notes on why a deposit was not matched (store/deposits.go), in the page's words.
const NOTES: Record<string, Key> = {
  'unknown comment': 'note_unknown_comment',
  'no comment': 'note_no_comment',
  'ambiguous memo-less amount': 'note_ambiguous',
  'personal comment': 'note_personal_comment',
  invoice: 'note_invoice',
  "asset differs from the invoice's": 'note_asset_differs',
  'invoice already paid': 'note_already_paid',
  'invoice expired': 'note_invoice_expired',
};
const noteWords = (n: string) => {
  const below = /^below minimum (\d+)$/.exec(n);
  if (below) return t('note_below_minimum');
  return NOTES[n] ? t(NOTES[n]) : n;
};

type Form = { id: number; kind: 'assign' | 'refund' } | null;

/** "42" → a user, "m:7" → a merchant. */
function parseTarget(s: string): { user_id: number } | { merchant_id: number } | null {
  const t = s.trim();
  let m = /^(\d{1,18})$/.exec(t);
  if (m) return { user_id: Number(m[1]) };
  m = /^m:\s*(\d{1,18})$/i.exec(t);
  if (m) return { merchant_id: Number(m[1]) };
  return null;
}

export function resolutionText(d: UnmatchedDeposit): string {
  const r = d.resolution;
  if (!r) return d.kind === 'dust' ? t('dust_unresolved') : t('unresolved');
  if (r.kind === 'refunded') return `${r.refund_tx ? t('refunded_in', { tx: shortHash(r.refund_tx) }) : t('refunded')} · ${when(r.at)}`;
  const to = (r.who && whoWords(r.who)) || (r.merchant_id ? t('merchant_n', { id: r.merchant_id }) : t('user_n', { id: r.user_id ?? '?' }));
  return `${t('assigned_to', { to })} · ${when(r.at)}`;
}

/** Deposits nobody claimed: credit them to a user or merchant, or record their refund. */
export function Unmatched() {
  const r = useResource(() => admin.unmatched(), []);
  const [form, setForm] = useState<Form>(null);
  const [value, setValue] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const open = (id: number, kind: 'assign' | 'refund') => {
    setForm({ id, kind });
    setValue('');
    setFieldError(null);
    setError(null);
  };

  const submit = async () => {
    if (!form) return;
    let call: () => Promise<UnmatchedDeposit>;
    if (form.kind === 'assign') {
      const to = parseTarget(value);
      if (!to) {
        setFieldError(t('assign_target_invalid'));
        return;
      }
      call = () => admin.assign(form.id, to);
    } else {
      const tx = value.trim().toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(tx)) {
        setFieldError(t('refund_hash_invalid'));
        return;
      }
      call = () => admin.refund(form.id, tx);
    }
    setBusy(true);
    setError(null);
    try {
      const d = await call();
      haptic.success();
      r.mutate((all) => (all ? { deposits: all.deposits.map((x) => (x.id === d.id ? d : x)) } : all));
      setForm(null);
    } catch (e) {
      haptic.error();
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const list = r.data?.deposits ?? [];
  return (
    <>
      <ErrorNotice error={r.error} onRetry={() => void r.reload()} />
      <div className="card list-card">
        {r.loading && !r.data ? (
          <Loading />
        ) : list.length === 0 ? (
          <Empty testid="unmatched-empty">{t('unmatched_empty')}</Empty>
        ) : (
          <ul className="items">
            {list.map((d) => (
              <li className="item" key={d.id} data-testid={`unmatched-${d.id}`}>
                <div className="item-top">
                  <span className="strong">
                    {money(d.amount)}
                    {d.kind === 'dust' && <span className="pill small-pill">{t('dust')}</span>}
                  </span>
                  <span className="item-sub nowrap">{when(d.at)}</span>
                </div>
                <div className="item-sub">
                  {t('from')} <span className="mono">{d.sender}</span>
                </div>
                <div className="item-sub">
                  {t('comment')}: {d.comment ? <span className="mono">“{d.comment}”</span> : <em>{t('comment_none')}</em>}
                </div>
                {d.note && <div className="item-sub">{noteWords(d.note)}</div>}
                <div className="item-sub">
                  {d.link ? (
                    <ExtLink href={d.link} testid={`unmatched-link-${d.id}`}>
                      <span className="mono">{shortHash(d.tx_hash)}</span> ↗
                    </ExtLink>
                  ) : (
                    <span className="mono">{shortHash(d.tx_hash)}</span>
                  )}
                </div>
                <div className={`item-sub strong${d.resolution ? ' ok' : ''}`} data-testid={`unmatched-status-${d.id}`} data-resolution={d.resolution?.kind ?? ''}>
                  {resolutionText(d)}
                  {d.resolution?.refund_link && (
                    <>
                      {' '}
                      <ExtLink href={d.resolution.refund_link}>↗</ExtLink>
                    </>
                  )}
                </div>
                {form?.id === d.id ? (
                  <div className="inline-form">
                    <input
                      className={`input compact${fieldError ? ' invalid' : ''}${form.kind === 'refund' ? ' mono' : ''}`}
                      data-testid={form.kind === 'assign' ? 'assign-to' : 'refund-tx'}
                      placeholder={form.kind === 'assign' ? t('assign_placeholder') : t('refund_placeholder')}
                      autoComplete="off"
                      autoCapitalize="off"
                      spellCheck={false}
                      autoFocus
                      value={value}
                      onChange={(e) => {
                        setValue(e.target.value);
                        setFieldError(null);
                      }}
                      onKeyDown={(e) => e.key === 'Enter' && void submit()}
                    />
                    {fieldError && <div className="field-error">{fieldError}</div>}
                    {error && (
                      <div className="field-error" role="alert" data-testid="unmatched-error">
                        {error}
                      </div>
                    )}
                    <div className="item-actions">
                      <button
                        className="btn small"
                        data-testid={form.kind === 'assign' ? 'assign-confirm' : 'refund-confirm'}
                        disabled={busy}
                        onClick={() => void submit()}
                      >
                        {busy ? t('saving') : form.kind === 'assign' ? t('credit_it') : t('record_refund')}
                      </button>
                      <button className="btn small secondary" onClick={() => setForm(null)}>
                        {t('cancel')}
                      </button>
                    </div>
                  </div>
                ) : (
                  !d.resolution && (
                    <div className="item-actions">
                      <button className="btn small" data-testid={`assign-${d.id}`} onClick={() => open(d.id, 'assign')}>
                        {t('assign')}
                      </button>
                      <button className="btn small secondary" data-testid={`refund-${d.id}`} onClick={() => open(d.id, 'refund')}>
                        {t('mark_refunded')}
                      </button>
                    </div>
                  )
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
    </>
  );
}
