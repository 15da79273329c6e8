import { useMemo, useState } from 'react';
import { AmountField } from '../components/AmountField';
import { AssetPicker } from '../components/AssetPicker';
import { Copy } from '../components/Copy';
import { Expiry } from '../components/Expiry';
import { IconSpinner } from '../components/icons';
import { Subscriptions } from '../components/Subscriptions';
import { Packages } from '../components/Packages';
import { Qr } from '../components/Qr';
import { StatusMark } from '../components/StatusMark';
import { useFollowInvoice } from '../hooks/useFollowInvoice';
import { useTonPayment } from '../hooks/useTonPayment';
import { parseAmount } from '../lib/amount';
import { amountError as amountErrorText, amountText, assetName, formatNumber, isNative, sameAsset, t, type Key } from '../lib/i18n';
import { api } from '../lib/api';
import { statusWords } from '../lib/format';
import { hasMainButton, haptic, useMainButton } from '../lib/telegram';
import type { DepositResponse, Invoice } from '../lib/types';
import { balanceOf, isInvoiceOpen, useApp } from '../state';
import { useWallet } from '../walletState';

const presetsFor = (symbol: string, decimals: number) => (isNative(symbol) || decimals > 6 ? ['1', '5', '10', '50'] : ['5', '10', '25', '100']);

export function TopUp({ initialAsset, initialAmount }: { initialAsset?: string; initialAmount?: string }) {
  const { me, balances, invoices, upsertInvoice, go } = useApp();
  const wallet = useWallet();
  const payment = useTonPayment();
  const assets = me.assets.length ? me.assets : [{ symbol: 'GRAM', decimals: 9 }];
  const [asset, setAsset] = useState(
    assets.find((a) => sameAsset(a.symbol, initialAsset))?.symbol ?? assets[0].symbol,
  );
  const [amount, setAmount] = useState(initialAmount ?? '');
  const [submitted, setSubmitted] = useState(false);
  const [current, setCurrent] = useState<{ dep: DepositResponse; asset: string; units: bigint } | null>(null);
  const [shownId, setShownId] = useState<string | null>(null);
  const { busy, error, setError } = payment;

  const decimals = assets.find((a) => sameAsset(a.symbol, asset))?.decimals ?? 9;
  const parsed = useMemo(() => parseAmount(amount, decimals, asset), [amount, decimals, asset]);
  const amountError = !parsed.ok && (amount.trim() !== '' || submitted) ? amountErrorText(parsed, asset) : null;
  const bal = balanceOf(balances, asset);

  const pay = async () => {
    if (busy) return;
    setSubmitted(true);
    setError(null);
    if (!parsed.ok) {
      haptic.error();
      return;
    }
    await payment.pay({
      prepare: async () => {
        let dep = current?.dep;
        const reusable =
          dep &&
          current!.asset === asset &&
          current!.units === parsed.units &&
          invoices[dep.invoice.id]?.status === 'created' &&
          Number(dep.transaction.validUntil) > Date.now() / 1000 + 60;
        if (!dep || !reusable) {
          dep = await api.createDeposit(asset, parsed.text);
          upsertInvoice({ ...dep.invoice, id: String(dep.invoice.id) });
          setCurrent({ dep, asset, units: parsed.units });
        }
        return { id: String(dep.invoice.id), transaction: dep.transaction };
      },
      report: api.reportBoc,
      onSent: setShownId,
    });
  };

  // Until the wallet SDK is here (it loads with this screen) a restored wallet may still connect:
  // the action waits for it rather than offer a connect the wallet does not need.
  const walletWait = !wallet.loaded;
  const payLabel = !wallet.connected && !walletWait
    ? t('connect_to_pay')
    : parsed.ok
      ? t('pay_amount', { amount: amountText(parsed.text, asset) })
      : t('pay');
  const invoice = shownId ? invoices[shownId] : undefined;

  // One owner of the MainButton per screen: Pay on the form, Done on a paid invoice.
  useMainButton(
    invoice
      ? invoice.status === 'paid'
        ? { text: t('done'), onClick: () => go({ name: 'home' }) }
        : null
      : wallet.modalOpen || wallet.linking
        ? null
        : { text: payLabel, onClick: () => void pay(), progress: busy || walletWait },
  );

  if (invoice) {
    return (
      <InvoiceView
        invoice={invoice}
        note={payment.note}
        onAgain={() => {
          setShownId(null);
          setCurrent(null);
          setAmount('');
          setSubmitted(false);
        }}
      />
    );
  }

  return (
    <>
      <OwnAddress asset={asset} />

      <div className="card">
        <AssetPicker id="topup-asset" testid="topup-asset" assets={assets} value={asset} onChange={setAsset} />
        <div className="balance-line">
          <span>{t('balance')}</span>
          <span>
            <strong data-testid={`balance-${asset}`} data-amount={bal.amount}>
              {formatNumber(bal.formatted)}
            </strong>{' '}
            {assetName(asset)}
          </span>
        </div>
        <AmountField
          id="topup-amount"
          label={t('amount')}
          value={amount}
          onChange={(v) => {
            setAmount(v);
            setError(null);
          }}
          symbol={asset}
          error={amountError}
          testid="topup-amount"
          errorTestid="amount-error"
        />
        <div className="chips" role="group" aria-label={t('presets_in', { asset: assetName(asset) })}>
          {presetsFor(asset, decimals).map((p) => (
            <button
              key={p}
              type="button"
              className={`chip${parsed.ok && parsed.text === p ? ' active' : ''}`}
              data-testid={`preset-${p}`}
              onClick={() => {
                haptic.tap();
                setAmount(p);
                setError(null);
              }}
            >
              {formatNumber(p)}
            </button>
          ))}
        </div>
      </div>

      {(error || wallet.error) && (
        <div className="notice" data-testid="error" role="alert">
          {error ?? wallet.error}
        </div>
      )}

      {!hasMainButton && (
        <button className="btn" data-testid="pay-button" disabled={busy || wallet.linking || walletWait} onClick={() => void pay()}>
          {(busy || walletWait) && <IconSpinner />}
          {payLabel}
        </button>
      )}

      <ManualDeposit />

      <Packages
        onTopUp={(a, amt) => {
          setAsset(a);
          setAmount(amt);
          setSubmitted(false);
          setError(null);
          window.scrollTo({ top: 0, behavior: 'smooth' });
        }}
      />
      <Subscriptions />
    </>
  );
}

/** The user's own deposit address, first: from any wallet or exchange, no comment needed. Its QR
 * code and link are of the asset picked below (a jetton's link names its master). */
function OwnAddress({ asset }: { asset: string }) {
  const { me } = useApp();
  const address = me.deposit_address;
  if (!address) return null;
  const links = Object.entries(me.deposit_links ?? {});
  const link = links.find(([s]) => sameAsset(s, asset))?.[1] ?? me.deposit_link;
  const names = links.length ? links.map(([s]) => assetName(s)) : [assetName('GRAM')];
  const assets =
    names.length > 2 ? `${names.slice(0, -1).join(', ')}${t('or')}${names[names.length - 1]}` : names.join(t('or'));
  return (
    <div className="card" data-testid="own-address">
      <div className="card-title">{t('own_address_title')}</div>
      <p className="small" style={{ margin: '0 0 4px' }}>
        {t('own_address_hint', { assets })}
      </p>
      <p className="small" style={{ margin: '0 0 8px' }}>
        <strong data-testid="own-address-no-comment">{t('own_address_no_comment')}</strong>
      </p>
      {link && <Qr text={link} label={t('own_address_qr')} />}
      <dl className="rows">
        <div className="row">
          <dt>{t('address')}</dt>
          <dd>
            <span className="address" data-testid="own-address-value">
              {address}
            </span>
            <Copy text={address} testid="own-address-copy" />
          </dd>
        </div>
      </dl>
      {link && (
        <a className="btn secondary" href={link} data-testid="own-address-link">
          {t('open_in_wallet')}
        </a>
      )}
    </div>
  );
}

/** Pay from any wallet by hand: the service's address and the user's personal comment (the second
 * way when the user has an address of their own). */
function ManualDeposit() {
  const { me } = useApp();
  const d = me.deposit;
  if (!d?.address) return null;
  return (
    <details className="card" style={{ marginTop: 14 }} data-testid="manual-deposit">
      <summary>{me.deposit_address ? t('send_with_comment') : t('send_from_other_wallet')}</summary>
      {d.link && <Qr text={d.link} label={t('deposit_qr')} />}
      <dl className="rows">
        <div className="row">
          <dt>{t('address')}</dt>
          <dd>
            <span className="address" data-testid="deposit-address">
              {d.address}
            </span>
            <Copy text={d.address} />
          </dd>
        </div>
        <div className="row">
          <dt>{t('comment')}</dt>
          <dd>
            <span className="address" data-testid="deposit-comment">
              {d.comment}
            </span>
            <Copy text={d.comment} />
          </dd>
        </div>
      </dl>
      <p className="muted small">{t('deposit_comment_warning')}</p>
      {d.link && (
        <a className="btn secondary" href={d.link} data-testid="deposit-link">
          {t('open_in_wallet')}
        </a>
      )}
    </details>
  );
}

const STATUS_TEXT: Record<string, Key> = {
  created: 'invoice_created',
  pending: 'invoice_pending',
  paid: 'topup_paid',
  expired: 'topup_expired',
  error: 'invoice_error',
};

function InvoiceView({ invoice, note, onAgain }: { invoice: Invoice; note: string | null; onAgain: () => void }) {
  const { balances, refreshMe, go } = useApp();
  const bal = balanceOf(balances, invoice.asset);
  const status = invoice.status;
  const open = isInvoiceOpen(invoice);
  const { polling } = useFollowInvoice(invoice, api.deposit, (inv) => {
    if (inv.status === 'paid') refreshMe().catch(() => {});
  });

  return (
    <>
      <div className="card invoice" data-testid="invoice" data-invoice-id={invoice.id}>
        <StatusMark status={status} />
        <div className="invoice-amount">{amountText(invoice.formatted, invoice.asset)}</div>
        <div className="invoice-text">{STATUS_TEXT[status] ? t(STATUS_TEXT[status]) : status}</div>
        <span className="status" data-testid="invoice-status" data-status={status}>
          {statusWords(status)}
        </span>
        {status === 'created' && <Expiry at={invoice.expires_at} />}
      </div>
      {note && <div className="notice info">{note}</div>}
      {polling && (
        <div className="notice info" data-testid="stream-down">
          {t('stream_reconnecting')}
        </div>
      )}
      <div className="card">
        <div className="balance-line" style={{ margin: 0 }}>
          <span>{status === 'paid' ? t('new_balance') : t('balance')}</span>
          <span>
            <strong data-testid={`balance-${invoice.asset}`} data-amount={bal.amount}>
              {formatNumber(bal.formatted)}
            </strong>{' '}
            {assetName(invoice.asset)}
          </span>
        </div>
      </div>
      <div className="stack">
        {status === 'paid' && !hasMainButton && (
          <button className="btn" data-testid="done-button" onClick={() => go({ name: 'home' })}>
            {t('done')}
          </button>
        )}
        {!open && (
          <button className="btn secondary" data-testid="topup-again" onClick={onAgain}>
            {status === 'paid' ? t('topup_again') : t('try_again')}
          </button>
        )}
      </div>
    </>
  );
}
