// A merchant's invoice, opened from its pay link (https://t.me/<bot>/<app>?startapp=inv_<id>):
// who asks, for what and how much; Pay sends the same TON Connect request as a top-up, reports
// the BOC (pending at once) and hears `paid` over the event stream (polling only while it is down).
import { useCallback, useEffect, useState } from 'react';
import { Copy } from '../components/Copy';
import { Expiry } from '../components/Expiry';
import { IconSpinner } from '../components/icons';
import { Qr } from '../components/Qr';
import { StatusMark } from '../components/StatusMark';
import { useFollowInvoice } from '../hooks/useFollowInvoice';
import { useTonPayment } from '../hooks/useTonPayment';
import { ApiError, api, errorMessage } from '../lib/api';
import { statusWords } from '../lib/format';
import { amountText, t, type Key } from '../lib/i18n';
import { hasMainButton, useMainButton } from '../lib/telegram';
import type { InvoicePayResponse } from '../lib/types';
import { useApp } from '../state';
import { useWallet } from '../walletState';

const STATUS_TEXT: Record<string, Key> = {
  created: 'invoice_created',
  pending: 'invoice_pending',
  paid: 'invoice_paid',
  expired: 'invoice_expired',
  error: 'invoice_error',
};
const statusText = (s: string) => (STATUS_TEXT[s] ? t(STATUS_TEXT[s]) : s);

type Load =
  | { state: 'loading' }
  | { state: 'ready'; data: InvoicePayResponse }
  | { state: 'wallet'; message: string } // a jetton invoice needs a linked wallet first
  | { state: 'failed'; message: string; notFound: boolean };

export function PayInvoice({ id }: { id: string }) {
  const { me, invoices, upsertInvoice, go } = useApp();
  const wallet = useWallet();
  const payment = useTonPayment();
  const { busy, error, setError, note } = payment;
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [sent, setSent] = useState(false);

  const fetchInvoice = useCallback(async (): Promise<InvoicePayResponse | null> => {
    try {
      const data = await api.invoice(id);
      upsertInvoice({ ...data.invoice, id: String(data.invoice.id) });
      setLoad({ state: 'ready', data });
      return data;
    } catch (e) {
      if (e instanceof ApiError && e.code === 'wallet_required') setLoad({ state: 'wallet', message: e.message });
      else if (e instanceof ApiError && e.status === 404)
        setLoad({ state: 'failed', message: t('invoice_not_found'), notFound: true });
      else setLoad((l) => (l.state === 'ready' ? l : { state: 'failed', message: errorMessage(e), notFound: false }));
      return null;
    }
  }, [id, upsertInvoice]);

  // Load once, and again when a wallet gets linked (a jetton request is built for it).
  const linked = me.wallet?.address ?? '';
  useEffect(() => {
    void fetchInvoice();
  }, [fetchInvoice, linked]);

  const data = load.state === 'ready' ? load.data : null;
  // The stream keeps the shared copy current (its statuses only move forward).
  const shared = invoices[id];
  const invoice = data ? { ...data.invoice, ...(shared ?? {}) } : undefined;
  const status = invoice?.status;
  const payable = status === 'created' && !sent;
  const { polling } = useFollowInvoice(invoice, api.invoice);

  // The countdown reaching zero: ask the server, which answers "expired" with nothing to pay.
  const expiresAt = invoice?.expires_at;
  useEffect(() => {
    if (status !== 'created' || !expiresAt) return;
    const left = Date.parse(expiresAt) - Date.now();
    if (Number.isNaN(left)) return;
    const t = setTimeout(() => void fetchInvoice(), Math.max(0, left) + 1500);
    return () => clearTimeout(t);
  }, [status, expiresAt, fetchInvoice]);

  const pay = () =>
    payment.pay({
      prepare: async () => {
        let d = load.state === 'ready' ? load.data : null;
        // A request about to lapse (or none yet) is asked for again.
        if (!d?.transaction || Number(d.transaction.validUntil) < Date.now() / 1000 + 60) d = await fetchInvoice();
        if (!d) return null;
        if (!d.transaction) {
          setError(STATUS_TEXT[d.invoice.status] ? statusText(d.invoice.status) : t('invoice_not_payable'));
          return null;
        }
        return { id, transaction: d.transaction };
      },
      report: api.reportInvoiceBoc,
      onSent: () => setSent(true),
    });

  // Until the wallet SDK is here (it loads with this screen) a restored wallet may still connect.
  const walletWait = !wallet.loaded;
  const payLabel = !wallet.connected && !walletWait ? t('connect_to_pay') : invoice ? t('pay_amount', { amount: amountText(invoice.formatted, invoice.asset) }) : t('pay');
  const needsWallet = load.state === 'wallet';
  useMainButton(
    status === 'paid'
      ? { text: t('done'), onClick: () => go({ name: 'home' }) }
      : (payable || needsWallet) && !wallet.modalOpen && !wallet.linking
        ? { text: needsWallet ? t('connect_to_pay') : payLabel, onClick: () => void (needsWallet ? wallet.connect() : pay()), progress: busy || walletWait }
        : null,
  );

  if (load.state === 'loading') {
    return (
      <div className="loading" data-testid="invoice-loading">
        <IconSpinner />
      </div>
    );
  }
  if (load.state === 'failed') {
    return (
      <div className="stack">
        <div className="notice" role="alert" data-testid="error">
          {load.message}
        </div>
        {!load.notFound && (
          <button className="btn secondary" onClick={() => void fetchInvoice()}>
            {t('try_again')}
          </button>
        )}
        <button className="btn secondary" data-testid="invoice-home" onClick={() => go({ name: 'home' })}>
          {t('go_to_balance')}
        </button>
      </div>
    );
  }
  if (load.state === 'wallet') {
    return (
      <div className="stack">
        <div className="notice info" role="alert" data-testid="wallet-required">
          {load.message}
        </div>
        {(wallet.error || error) && (
          <div className="notice" data-testid="error" role="alert">
            {wallet.error ?? error}
          </div>
        )}
        {!hasMainButton && (
          <button className="btn" data-testid="pay-button" disabled={wallet.linking} onClick={() => void wallet.connect()}>
            {wallet.linking && <IconSpinner />}
            {t('connect_to_pay')}
          </button>
        )}
      </div>
    );
  }

  const inv = invoice!;
  return (
    <>
      <div className="card invoice" data-testid="invoice" data-invoice-id={inv.id}>
        <StatusMark status={inv.status} />
        {inv.merchant && (
          <div className="muted small" data-testid="invoice-merchant">
            {inv.merchant}
          </div>
        )}
        <div className="invoice-amount" data-testid="invoice-amount">
          {amountText(inv.formatted, inv.asset)}
        </div>
        {inv.description && (
          <div className="invoice-text" data-testid="invoice-description">
            {inv.description}
          </div>
        )}
        <div className="invoice-text">{statusText(inv.status)}</div>
        <span className="status" data-testid="invoice-status" data-status={inv.status}>
          {statusWords(inv.status)}
        </span>
        {inv.status === 'created' && <Expiry at={inv.expires_at} />}
      </div>

      {note && <div className="notice info">{note}</div>}
      {(error || wallet.error) && (
        <div className="notice" data-testid="error" role="alert">
          {error ?? wallet.error}
        </div>
      )}
      {polling && (
        <div className="notice info" data-testid="stream-down">
          {t('stream_reconnecting')}
        </div>
      )}

      <div className="stack">
        {payable && !hasMainButton && (
          <button className="btn" data-testid="pay-button" disabled={busy || wallet.linking || walletWait} onClick={() => void pay()}>
            {(busy || walletWait) && <IconSpinner />}
            {payLabel}
          </button>
        )}
        {inv.status === 'paid' && !hasMainButton && (
          <button className="btn" data-testid="done-button" onClick={() => go({ name: 'home' })}>
            {t('done')}
          </button>
        )}
      </div>

      {payable && data?.link && <ManualPay address={inv.address} comment={inv.comment} link={data.link} />}
    </>
  );
}

/** Pay from another wallet by hand: the deposit address, the invoice's comment and a ton:// link. */
function ManualPay({ address, comment, link }: { address: string; comment: string; link: string }) {
  return (
    <details className="card" style={{ marginTop: 14 }} data-testid="manual-pay">
      <summary>{t('pay_from_other_wallet')}</summary>
      <Qr text={link} label={t('payment_qr')} />
      <dl className="rows">
        <div className="row">
          <dt>{t('address')}</dt>
          <dd>
            <span className="address">{address}</span>
            <Copy text={address} />
          </dd>
        </div>
        {comment && (
          <div className="row">
            <dt>{t('comment')}</dt>
            <dd>
              <span className="address">{comment}</span>
              <Copy text={comment} />
            </dd>
          </div>
        )}
      </dl>
      {comment && <p className="muted small">{t('pay_comment_warning')}</p>}
      <a className="btn secondary" href={link}>
        {t('open_in_wallet')}
      </a>
    </details>
  );
}
