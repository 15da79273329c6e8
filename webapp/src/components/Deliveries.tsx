import { useState } from 'react';
import { errorMessage } from '../lib/api';
import type { MerchantApi } from '../lib/dash';
import { when } from '../lib/format';
import { t, tn } from '../lib/i18n';
import { haptic } from '../lib/telegram';
import type { Delivery } from '../lib/types';
import { Empty } from './Feedback';
import { StatusPill } from './StatusPill';

/** Webhook deliveries with their state; Redeliver queues one again now (and re-enables the webhook). */
export function Deliveries({
  deliveries,
  api,
  onUpdated,
  showInvoice = true,
}: {
  deliveries: Delivery[];
  api: MerchantApi;
  onUpdated: (d: Delivery) => void;
  /** Name each delivery's invoice (off inside that invoice's own page). */
  showInvoice?: boolean;
}) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (deliveries.length === 0) return <Empty testid="deliveries-empty">{t('deliveries_empty')}</Empty>;

  const redeliver = async (d: Delivery) => {
    setError(null);
    setBusy(String(d.id));
    try {
      const r = await api.redeliver(d.id);
      haptic.success();
      onUpdated({ ...d, ...r });
    } catch (e) {
      haptic.error();
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      {error && (
        <div className="notice" role="alert" data-testid="delivery-error" style={{ margin: '12px 0 0' }}>
          {error}
        </div>
      )}
      <ul className="items" data-testid="deliveries">
        {deliveries.map((d) => (
          <li className="item" key={String(d.id)} data-testid={`delivery-${d.id}`}>
            <div className="item-top">
              <span className="item-title mono">{d.type}</span>
              <StatusPill status={d.status} testid={`delivery-status-${d.id}`} />
            </div>
            <div className="item-sub">
              {when(d.created_at)}
              {showInvoice && d.invoice_id ? <span className="mono"> · {d.invoice_id}</span> : ''} · {tn('n_attempts', d.attempts)}
              {d.status === 'delivered' && d.delivered_at ? ` · ${t('delivered_at', { when: when(d.delivered_at) })}` : ''}
              {d.status === 'pending' && d.next_attempt_at ? ` · ${t('next_attempt_at', { when: when(d.next_attempt_at) })}` : ''}
            </div>
            {d.last_error && d.status !== 'delivered' && <div className="item-error mono">{d.last_error}</div>}
            <div className="item-actions" style={{ marginTop: 4 }}>
              <button
                className="btn small plain"
                data-testid={`redeliver-${d.id}`}
                disabled={busy !== null}
                onClick={() => void redeliver(d)}
              >
                {busy === String(d.id) ? t('queuing') : t('redeliver')}
              </button>
            </div>
          </li>
        ))}
      </ul>
    </>
  );
}
