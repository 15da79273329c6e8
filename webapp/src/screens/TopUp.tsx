import { UserRejectsError, useTonConnectUI } from '@tonconnect/ui-react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { AmountField } from '../components/AmountField';
import { Copy } from '../components/Copy';
import { IconCheck, IconClock, IconSpinner, IconX } from '../components/icons';
import { Subscriptions } from '../components/Subscriptions';
import { Packages } from '../components/Packages';
import { Qr } from '../components/Qr';
import { parseAmount } from '../lib/amount';
import { api, errorMessage } from '../lib/api';
import { hasMainButton, haptic, useMainButton } from '../lib/telegram';
import type { DepositResponse, Invoice, TxRequest } from '../lib/types';
import { balanceOf, isInvoiceOpen, useApp } from '../state';
import { useWallet } from '../wallet';

const PRESETS: Record<string, string[]> = { TON: ['1', '5', '10', '50'] };
const presetsFor = (symbol: string, decimals: number) => PRESETS[symbol] ?? (decimals <= 6 ? ['5', '10', '25', '100'] : ['1', '5', '10', '50']);

/** Only the keys @tonconnect/sdk accepts (it rejects extra ones), validUntil as a number. */
export function cleanTx(tx: TxRequest): TxRequest {
  return {
    validUntil: Number(tx.validUntil),
    ...(tx.network ? { network: String(tx.network) } : {}),
    ...(tx.from ? { from: tx.from } : {}),
    messages: tx.messages.map((m) => ({
      address: m.address,
      amount: String(m.amount),
      ...(m.payload ? { payload: m.payload } : {}),
      ...(m.stateInit ? { stateInit: m.stateInit } : {}),
    })),
  };
}

export function TopUp({ initialAsset, initialAmount }: { initialAsset?: string; initialAmount?: string }) {
  const { me, balances, invoices, upsertInvoice, go } = useApp();
  const wallet = useWallet();
  const [tonConnectUI] = useTonConnectUI();
  const assets = me.assets.length ? me.assets : [{ symbol: 'TON', decimals: 9 }];
  const [asset, setAsset] = useState(
    assets.find((a) => a.symbol === initialAsset)?.symbol ?? assets[0].symbol,
  );
  const [amount, setAmount] = useState(initialAmount ?? '');
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [current, setCurrent] = useState<{ dep: DepositResponse; asset: string; units: bigint } | null>(null);
  const [shownId, setShownId] = useState<string | null>(null);
  const [bocNote, setBocNote] = useState<string | null>(null);

  const decimals = assets.find((a) => a.symbol === asset)?.decimals ?? 9;
  const parsed = useMemo(() => parseAmount(amount, decimals, asset), [amount, decimals, asset]);
  const amountError = !parsed.ok && (amount.trim() !== '' || submitted) ? parsed.error : null;
  const bal = balanceOf(balances, asset);

  const pay = async () => {
    if (busy) return;
    setSubmitted(true);
    setError(null);
    if (!parsed.ok) {
      haptic.error();
      return;
    }
    if (!wallet.connected) {
      await wallet.connect();
      return;
    }
    setBusy(true);
    try {
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
      const id = String(dep.invoice.id);
      const res = await tonConnectUI.sendTransaction(cleanTx(dep.transaction), {
        modals: ['before'],
        notifications: ['error'],
      });
      haptic.tap();
      setShownId(id);
      setBocNote(null);
      try {
        const r = await api.reportBoc(id, res.boc);
        upsertInvoice({ ...r.invoice, id: String(r.invoice.id) });
      } catch (e) {
        setBocNote(`${errorMessage(e)} Your payment will still be found on the chain.`);
      }
    } catch (e) {
      haptic.error();
      if (e instanceof UserRejectsError) setError('Payment cancelled in the wallet. Nothing was sent.');
      else setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const payLabel = !wallet.connected
    ? 'Connect wallet to pay'
    : parsed.ok
      ? `Pay ${parsed.text} ${asset}`
      : 'Pay';
  const invoice = shownId ? invoices[shownId] : undefined;

  // One owner of the MainButton per screen: Pay on the form, Done on a paid invoice.
  useMainButton(
    invoice
      ? invoice.status === 'paid'
        ? { text: 'Done', onClick: () => go({ name: 'home' }) }
        : null
      : wallet.modalOpen || wallet.linking
        ? null
        : { text: payLabel, onClick: () => void pay(), progress: busy },
  );

  if (invoice) {
    return (
      <InvoiceView
        invoice={invoice}
        note={bocNote}
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
      <div className="card">
        <div className="field">
          <label className="label" htmlFor="topup-asset">
            Asset
          </label>
          <select
            id="topup-asset"
            className="select"
            data-testid="topup-asset"
            value={asset}
            onChange={(e) => {
              haptic.select();
              setAsset(e.target.value);
            }}
          >
            {assets.map((a) => (
              <option key={a.symbol} value={a.symbol}>
                {a.symbol}
              </option>
            ))}
          </select>
        </div>
        <div className="balance-line">
          <span>Balance</span>
          <span>
            <strong data-testid={`balance-${asset}`} data-amount={bal.amount}>
              {bal.formatted}
            </strong>{' '}
            {asset}
          </span>
        </div>
        <AmountField
          id="topup-amount"
          label="Amount"
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
        <div className="chips" role="group" aria-label={`Preset amounts in ${asset}`}>
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
              {p}
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
        <button className="btn" data-testid="pay-button" disabled={busy || wallet.linking} onClick={() => void pay()}>
          {busy && <IconSpinner />}
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

/** Pay from any wallet by hand: the user's deposit address and personal comment. */
function ManualDeposit() {
  const { me } = useApp();
  const d = me.deposit;
  if (!d?.address) return null;
  return (
    <details className="card" style={{ marginTop: 14 }} data-testid="manual-deposit">
      <summary>Send from another wallet</summary>
      {d.link && <Qr text={d.link} label="Deposit QR code" />}
      <dl className="rows">
        <div className="row">
          <dt>Address</dt>
          <dd>
            <span className="address" data-testid="deposit-address">
              {d.address}
            </span>
            <Copy text={d.address} />
          </dd>
        </div>
        <div className="row">
          <dt>Comment</dt>
          <dd>
            <span className="address" data-testid="deposit-comment">
              {d.comment}
            </span>
            <Copy text={d.comment} />
          </dd>
        </div>
      </dl>
      <p className="muted small">Always include the comment, or the transfer cannot be matched to you.</p>
      {d.link && (
        <a className="btn secondary" href={d.link} data-testid="deposit-link">
          Open in wallet app
        </a>
      )}
    </details>
  );
}

const STATUS_TEXT: Record<string, string> = {
  created: 'Waiting for your payment',
  pending: 'Payment sent. Waiting for the network to confirm…',
  paid: 'Paid. Your balance is updated.',
  expired: 'This invoice expired before it was paid.',
  error: 'Something went wrong with this payment.',
};

function InvoiceView({ invoice, note, onAgain }: { invoice: Invoice; note: string | null; onAgain: () => void }) {
  const { balances, stream, upsertInvoice, refreshMe, go } = useApp();
  const bal = balanceOf(balances, invoice.asset);
  const status = invoice.status;
  const open = isInvoiceOpen(invoice);

  // Paid: a success haptic, once.
  const was = useRef(status);
  useEffect(() => {
    if (status === was.current) return;
    was.current = status;
    if (status === 'paid') haptic.success();
    else if (status === 'expired' || status === 'error') haptic.warning();
  }, [status]);

  // Fallback only: poll while the event stream is down and the invoice is still open.
  useEffect(() => {
    if (stream !== 'down' || !open) return;
    const id = invoice.id;
    const t = setInterval(() => {
      api.deposit(id).then(
        (r) => {
          upsertInvoice({ ...r.invoice, id: String(r.invoice.id) });
          if (r.invoice.status === 'paid') refreshMe().catch(() => {});
        },
        () => {},
      );
    }, 3000);
    return () => clearInterval(t);
  }, [stream, open, invoice.id, upsertInvoice, refreshMe]);

  return (
    <>
      <div className="card invoice" data-testid="invoice" data-invoice-id={invoice.id}>
        <StatusMark status={status} />
        <div className="invoice-amount">
          {invoice.formatted} {invoice.asset}
        </div>
        <div className="invoice-text">{STATUS_TEXT[status] ?? status}</div>
        <span className="status" data-testid="invoice-status" data-status={status}>
          {status}
        </span>
        {status === 'created' && <Expiry at={invoice.expires_at} />}
      </div>
      {note && <div className="notice info">{note}</div>}
      {stream === 'down' && open && (
        <div className="notice info" data-testid="stream-down">
          Live updates are reconnecting; checking the payment every few seconds.
        </div>
      )}
      <div className="card">
        <div className="balance-line" style={{ margin: 0 }}>
          <span>{status === 'paid' ? 'New balance' : 'Balance'}</span>
          <span>
            <strong data-testid={`balance-${invoice.asset}`} data-amount={bal.amount}>
              {bal.formatted}
            </strong>{' '}
            {invoice.asset}
          </span>
        </div>
      </div>
      <div className="stack">
        {status === 'paid' && !hasMainButton && (
          <button className="btn" data-testid="done-button" onClick={() => go({ name: 'home' })}>
            Done
          </button>
        )}
        {!open && (
          <button className="btn secondary" data-testid="topup-again" onClick={onAgain}>
            {status === 'paid' ? 'Top up again' : 'Try again'}
          </button>
        )}
      </div>
    </>
  );
}

/** The big icon of an invoice's state: clock, spinner, check or cross. */
export function StatusMark({ status }: { status: string }) {
  if (status === 'paid') {
    return (
      <div className="status-mark paid">
        <IconCheck />
      </div>
    );
  }
  if (status === 'pending' || status === 'created') {
    return <div className="status-mark">{status === 'pending' ? <IconSpinner /> : <IconClock />}</div>;
  }
  return (
    <div className="status-mark bad">
      <IconX />
    </div>
  );
}

export function Expiry({ at }: { at: string }) {
  const end = useMemo(() => Date.parse(at), [at]);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  if (Number.isNaN(end)) return null;
  const left = Math.max(0, Math.floor((end - now) / 1000));
  const mm = Math.floor(left / 60);
  const ss = String(left % 60).padStart(2, '0');
  return (
    <div className="muted small" style={{ marginTop: 10 }}>
      Expires in {mm}:{ss}
    </div>
  );
}
