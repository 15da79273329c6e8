import { useState } from 'react';
import { ErrorNotice, Loading } from '../../components/Feedback';
import { useResource } from '../../hooks/useResource';
import { toUnits } from '../../lib/amount';
import { errorMessage } from '../../lib/api';
import { admin } from '../../lib/dash';
import { money, when } from '../../lib/format';
import { assetName, t } from '../../lib/i18n';
import { haptic } from '../../lib/telegram';
import type { AssetOverview, PayoutsState } from '../../lib/types';
import { FlowChart } from './FlowChart';

/** One card per asset, the payer's state and 30 days of deposits and withdrawals. */
export function Overview({ onOpen }: { onOpen: (tab: 'approvals' | 'unmatched') => void }) {
  const r = useResource(() => admin.overview(), []);
  const o = r.data;
  return (
    <>
      <ErrorNotice error={r.error} onRetry={() => void r.reload()} />
      {!o ? (
        r.loading && <Loading />
      ) : (
        <>
          <Payer
            state={o.payouts}
            onChange={(p) => r.mutate((d) => (d ? { ...d, payouts: p } : d))}
          />
          {o.assets.map((a) => (
            <AssetCard key={a.asset} a={a} onOpen={onOpen} />
          ))}
          <p className="muted small center" data-testid="overview-sync">
            {o.synced ? t('following_chain') : t('catching_up')}
            {' · '}
            {o.reconciled_block ? t('reconciled_at', { block: o.reconciled_block }) : t('not_reconciled_yet')}
          </p>
          <FlowChart days={o.days} assets={o.assets.map((a) => a.asset)} />
        </>
      )}
    </>
  );
}

function AssetCard({ a, onOpen }: { a: AssetOverview; onOpen: (tab: 'approvals' | 'unmatched') => void }) {
  const drift = a.drift ? toUnits(a.drift.amount) : 0n;
  return (
    <div className="card" data-testid={`overview-${a.asset}`}>
      <div className="card-title">{assetName(a.asset)}</div>
      <dl className="rows">
        <div className="row">
          <dt>{t('users_hold')}</dt>
          <dd data-testid={`overview-${a.asset}-users`}>{money(a.users)}</dd>
        </div>
        <div className="row">
          <dt>{t('merchants_hold')}</dt>
          <dd>{money(a.merchants)}</dd>
        </div>
        <div className="row">
          <dt>{t('hot_chain')}</dt>
          <dd>{a.hot_chain ? money(a.hot_chain) : <span className="muted">{t('not_reconciled')}</span>}</dd>
        </div>
        <div className="row">
          <dt>{t('hot_ledger')}</dt>
          <dd>{money(a.hot_ledger)}</dd>
        </div>
        {a.on_deposit && (
          <div className="row">
            <dt>{t('on_deposit_addresses')}</dt>
            <dd data-testid={`overview-${a.asset}-on-deposit`}>{money(a.on_deposit)}</dd>
          </div>
        )}
        <div className="row">
          <dt>{t('drift')}</dt>
          <dd data-testid={`overview-${a.asset}-drift`} className={drift !== 0n ? 'bad' : undefined} data-drift={a.drift?.amount ?? ''}>
            {a.drift ? `${drift > 0n && !a.drift.formatted.startsWith('+') ? '+' : ''}${money(a.drift)}` : '—'}
          </dd>
        </div>
        {a.capital && (
          <div className="row">
            <dt>{t('operator_capital')}</dt>
            <dd data-testid={`overview-${a.asset}-capital`}>{money(a.capital)}</dd>
          </div>
        )}
        <div className="row">
          <dt>{t('fees_net')}</dt>
          <dd>{money(a.fees)}</dd>
        </div>
        <div className="row">
          <dt>{t('unmatched')}</dt>
          <dd>
            <CountLink count={a.unmatched_count} total={money(a.unmatched)} testid={`overview-${a.asset}-unmatched`} onClick={() => onOpen('unmatched')} />
          </dd>
        </div>
        <div className="row">
          <dt>{t('awaiting_approval')}</dt>
          <dd>
            <CountLink count={a.awaiting_count} total={money(a.awaiting)} testid={`overview-${a.asset}-awaiting`} onClick={() => onOpen('approvals')} />
          </dd>
        </div>
      </dl>
    </div>
  );
}

/** "2 · 3.5 GRAM", opening the tab that lists them (plain text while there are none). */
function CountLink({ count, total, testid, onClick }: { count: number; total: string; testid: string; onClick: () => void }) {
  if (!count) {
    return (
      <span className="muted" data-testid={testid} data-count="0">
        0 · {total}
      </span>
    );
  }
  return (
    <button className="linklike" data-testid={testid} data-count={count} onClick={onClick}>
      {count} · {total}
    </button>
  );
}

const causeWords = (c: string) => (c === 'drift' ? t('cause_drift') : c === 'admin' ? t('cause_admin') : c);

/** The payer: running, or paused (by an admin or by itself, with why); Pause / Resume. */
function Payer({ state, onChange }: { state: PayoutsState; onChange: (p: PayoutsState) => void }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const act = async (pause: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const p = pause ? await admin.pause(reason.trim() || t('paused_from_app')) : await admin.resume();
      haptic.success();
      setReason('');
      onChange(p);
    } catch (e) {
      haptic.error();
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className={`card payer${state.paused ? ' paused' : ''}`}>
      <div className="item-top">
        <div>
          <div className="card-title" style={{ margin: 0 }}>
            {t('payouts')}
          </div>
          <div data-testid="payouts-state" data-paused={String(state.paused)} className={state.paused ? 'bad strong' : 'ok strong'}>
            {state.paused ? t('paused') : t('running')}
          </div>
        </div>
        {state.paused ? (
          <button className="btn small" data-testid="payouts-resume" disabled={busy} onClick={() => void act(false)}>
            {busy ? t('resuming') : t('resume')}
          </button>
        ) : (
          <button className="btn small secondary danger-text" data-testid="payouts-pause" disabled={busy} onClick={() => void act(true)}>
            {busy ? t('pausing') : t('pause')}
          </button>
        )}
      </div>
      {state.paused ? (
        <p className="muted small" style={{ margin: '8px 0 0' }}>
          {[state.cause ? causeWords(state.cause) : '', state.reason].filter(Boolean).join(': ') || t('no_reason')}
          {state.since ? ` · ${t('since', { when: when(state.since) })}` : ''}
        </p>
      ) : (
        <input
          className="input compact"
          style={{ marginTop: 10 }}
          data-testid="pause-reason"
          placeholder={t('pause_reason_placeholder')}
          maxLength={200}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
      )}
      {error && (
        <div className="field-error" role="alert" data-testid="payouts-error">
          {error}
        </div>
      )}
    </div>
  );
}
