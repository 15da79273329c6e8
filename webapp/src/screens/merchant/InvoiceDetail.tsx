import { useEffect, useRef } from 'react';
import { Copy } from '../../components/Copy';
import { Deliveries } from '../../components/Deliveries';
import { ExtLink } from '../../components/ExtLink';
import { ErrorNotice, Loading } from '../../components/Feedback';
import { StatusPill } from '../../components/StatusPill';
import { useResource } from '../../hooks/useResource';
import type { MerchantApi } from '../../lib/dash';
import { kindWords, money, shortHash, when } from '../../lib/format';
import { amountText, t } from '../../lib/i18n';
import { haptic } from '../../lib/telegram';
import type { MerchantInvoice } from '../../lib/types';

const REFRESH_MS = 3000;

/** One invoice: its state, amounts, pay link, the payments that came in and its webhook deliveries. */
export function InvoiceDetailView({ api, id, onInvoice }: { api: MerchantApi; id: string; onInvoice: (inv: MerchantInvoice) => void }) {
  const r = useResource(() => api.invoice(id), [api, id], REFRESH_MS);
  const d = r.data;
  const status = d?.invoice.status;

  // Tell the list, and a haptic when it gets paid while open.
  const was = useRef(status);
  const tell = useRef(onInvoice);
  tell.current = onInvoice;
  useEffect(() => {
    if (!d) return;
    tell.current(d.invoice);
    if (was.current && was.current !== status && status === 'paid') haptic.success();
    was.current = status;
  }, [d, status]);

  if (!d) {
    return (
      <>
        <ErrorNotice error={r.error} onRetry={() => void r.reload()} />
        {r.loading && <Loading />}
      </>
    );
  }
  const inv = d.invoice;
  const partly = inv.paid_units && inv.paid_units !== '0' && inv.paid_units !== inv.amount_units;
  return (
    <div data-testid="invoice-detail" data-invoice-id={inv.id}>
      <ErrorNotice error={r.error} />
      <div className="card">
        <div className="item-top">
          <div className="invoice-amount" style={{ fontSize: 26 }}>
            {amountText(inv.amount, inv.asset)}
          </div>
          <StatusPill status={inv.status} testid="invoice-detail-status" />
        </div>
        {inv.description && <div className="invoice-text" style={{ margin: '4px 0 8px' }}>{inv.description}</div>}
        <dl className="rows">
          <div className="row">
            <dt>{t('invoice')}</dt>
            <dd className="mono small-address">{inv.id}</dd>
          </div>
          {inv.external_id && (
            <div className="row">
              <dt>{t('your_id')}</dt>
              <dd className="mono small-address">{inv.external_id}</dd>
            </div>
          )}
          {(partly || inv.status === 'paid') && (
            <div className="row">
              <dt>{t('received')}</dt>
              <dd data-testid="invoice-detail-paid">
                {amountText(inv.paid, inv.asset)}
              </dd>
            </div>
          )}
          <div className="row">
            <dt>{t('created')}</dt>
            <dd>{when(inv.created_at)}</dd>
          </div>
          {inv.paid_at ? (
            <div className="row">
              <dt>{t('paid_at')}</dt>
              <dd>
                {when(inv.paid_at)}
                {inv.late ? ` (${t('after_expiry')})` : ''}
              </dd>
            </div>
          ) : (
            <div className="row">
              <dt>{t('expires')}</dt>
              <dd>{when(inv.expires_at)}</dd>
            </div>
          )}
          {inv.duplicate && (
            <div className="row">
              <dt>{t('note')}</dt>
              <dd>{t('paid_more_than_once')}</dd>
            </div>
          )}
          {inv.pay_url && (
            <div className="row">
              <dt>{t('pay_link')}</dt>
              <dd>
                <span className="address" data-testid="invoice-detail-link">
                  {inv.pay_url}
                </span>
                <Copy text={inv.pay_url} testid="invoice-detail-copy" />
              </dd>
            </div>
          )}
        </dl>
      </div>

      <div className="section-title">{t('payments')}</div>
      <div className="card list-card">
        {d.payments.length === 0 ? (
          <div className="empty">{t('nothing_received')}</div>
        ) : (
          <ul className="items">
            {d.payments.map((p) => (
              <li className="item" key={p.tx_hash} data-testid={`payment-${p.tx_hash}`}>
                <div className="item-top">
                  <span className="item-title strong">{money(p.amount)}</span>
                  <span className="item-sub nowrap">{when(p.at)}</span>
                </div>
                <div className="item-sub">
                  {p.kind ? `${kindWords(p.kind)} · ` : ''}{t('from_lower')} <span className="mono">{p.sender}</span>
                </div>
                <div className="item-sub">
                  {p.link ? <ExtLink href={p.link}>
                      <span className="mono">{shortHash(p.tx_hash)}</span> ↗
                    </ExtLink> : <span className="mono">{shortHash(p.tx_hash)}</span>}
                </div>
              </li>
            ))}
          </ul>
        )}
      </div>

      <div className="section-title">{t('webhook_deliveries')}</div>
      <div className="card list-card">
        <Deliveries
          showInvoice={false}
          deliveries={d.deliveries}
          api={api}
          onUpdated={(x) => r.mutate((cur) => (cur ? { ...cur, deliveries: cur.deliveries.map((o) => (String(o.id) === String(x.id) ? x : o)) } : cur))}
        />
      </div>
    </div>
  );
}
