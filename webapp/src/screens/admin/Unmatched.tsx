import { useState } from 'react';
import { ExtLink } from '../../components/ExtLink';
import { Empty, ErrorNotice, Loading } from '../../components/Feedback';
import { useResource } from '../../hooks/useResource';
import { errorMessage } from '../../lib/api';
import { admin } from '../../lib/dash';
import { money, shortHash, when } from '../../lib/format';
import { haptic } from '../../lib/telegram';
import type { UnmatchedDeposit } from '../../lib/types';

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
  if (!r) return d.kind === 'dust' ? 'Dust, unresolved' : 'Unresolved';
  if (r.kind === 'refunded') return `Refunded${r.refund_tx ? ` in ${shortHash(r.refund_tx)}` : ''} · ${when(r.at)}`;
  const to = r.who || (r.merchant_id ? `merchant ${r.merchant_id}` : `user ${r.user_id}`);
  return `Assigned to ${to} · ${when(r.at)}`;
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
        setFieldError('A user id like 42, or m:7 for merchant 7');
        return;
      }
      call = () => admin.assign(form.id, to);
    } else {
      const tx = value.trim().toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(tx)) {
        setFieldError('The refund transaction hash: 64 hex characters');
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
          <Empty testid="unmatched-empty">No unmatched deposits</Empty>
        ) : (
          <ul className="items">
            {list.map((d) => (
              <li className="item" key={d.id} data-testid={`unmatched-${d.id}`}>
                <div className="item-top">
                  <span className="strong">
                    {money(d.amount)}
                    {d.kind === 'dust' && <span className="pill small-pill">dust</span>}
                  </span>
                  <span className="item-sub nowrap">{when(d.at)}</span>
                </div>
                <div className="item-sub">
                  From <span className="mono">{d.sender}</span>
                </div>
                <div className="item-sub">
                  Comment: {d.comment ? <span className="mono">“{d.comment}”</span> : <em>none</em>}
                </div>
                {d.note && <div className="item-sub">{d.note}</div>}
                <div className="item-sub">
                  {d.link ? (
                    <ExtLink href={d.link} testid={`unmatched-link-${d.id}`}>
                      {shortHash(d.tx_hash)} ↗
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
                      placeholder={form.kind === 'assign' ? 'User id, or m:<merchant id>' : 'Refund transaction hash'}
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
                        {busy ? 'Saving…' : form.kind === 'assign' ? 'Credit it' : 'Record refund'}
                      </button>
                      <button className="btn small secondary" onClick={() => setForm(null)}>
                        Cancel
                      </button>
                    </div>
                  </div>
                ) : (
                  !d.resolution && (
                    <div className="item-actions">
                      <button className="btn small" data-testid={`assign-${d.id}`} onClick={() => open(d.id, 'assign')}>
                        Assign
                      </button>
                      <button className="btn small secondary" data-testid={`refund-${d.id}`} onClick={() => open(d.id, 'refund')}>
                        Mark refunded
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
