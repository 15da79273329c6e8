import { useEffect, useRef, useState } from 'react';
import { AmountField } from '../components/AmountField';
import { AssetPicker } from '../components/AssetPicker';
import { IconSpinner } from '../components/icons';
import { QuoteCard } from '../components/QuoteCard';
import { StatusPill } from '../components/StatusPill';
import { usePayoutForm } from '../hooks/usePayoutForm';
import { toUnits } from '../lib/amount';
import { ApiError, api, errorMessage } from '../lib/api';
import { amountText, t } from '../lib/i18n';
import { hasMainButton, haptic, openExternal, useMainButton } from '../lib/telegram';
import { uuid } from '../lib/uuid';
import type { WithdrawalQuote } from '../lib/types';
import { balanceOf, isWithdrawalOpen, useApp } from '../state';

export function Withdraw() {
  const { me, balances, refreshMe, withdrawals, upsertWithdrawal, stream } = useApp();
  const assets = me.assets.length ? me.assets : [{ symbol: 'GRAM', decimals: 9 }];
  const { asset, setAsset, address, setAddress, amount, setAmount, setSubmitted, bal, parsed, amountError, addrOk, addressError, form, valid } =
    usePayoutForm({ assets, balanceOf: (a) => balanceOf(balances, a), overBalance: 'more_than_balance', emptyAddress: 'address_empty' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [resultId, setResultId] = useState<string | null>(null);
  // One key per submission attempt: kept when the answer was lost (a retry of the same form is
  // the same attempt, so the server cannot pay twice), replaced after any answer or any edit.
  const attempt = useRef<{ key: string; form: string } | null>(null);

  // The server's rule book quotes the withdrawal before the user confirms:
  // the same fee and total the bot shows, or why it would be refused.
  const [quote, setQuote] = useState<WithdrawalQuote | null>(null);
  const [quoteError, setQuoteError] = useState<string | null>(null);
  const quotable = valid;
  const quoteText = parsed.ok ? parsed.text : '';
  useEffect(() => {
    setQuote(null);
    setQuoteError(null);
    if (!quotable) return;
    let live = true;
    const t = setTimeout(() => {
      api.quoteWithdrawal(asset, quoteText, address.trim()).then(
        (r) => live && setQuote(r.quote),
        (e) => live && setQuoteError(errorMessage(e)),
      );
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [quotable, asset, quoteText, address]);

  const submit = async () => {
    if (busy) return;
    setSubmitted(true);
    setError(null);
    if (!parsed.ok || amountError || !addrOk) {
      haptic.error();
      return;
    }
    if (!attempt.current || attempt.current.form !== form) attempt.current = { key: uuid(), form };
    setBusy(true);
    try {
      const r = await api.withdraw(asset, parsed.text, address.trim(), attempt.current.key);
      attempt.current = null;
      upsertWithdrawal(r.withdrawal);
      setResultId(String(r.withdrawal.id));
      haptic.success();
      refreshMe().catch(() => {});
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 0)) attempt.current = null;
      haptic.error();
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const result = resultId ? withdrawals[resultId] : undefined;
  useMainButton(
    result
      ? null
      : { text: parsed.ok ? t('withdraw_amount', { amount: amountText(parsed.text, asset) }) : t('withdraw'), onClick: () => void submit(), progress: busy },
  );

  // Fallback only: poll while the event stream is down and the withdrawal is not final.
  const open = isWithdrawalOpen(result);
  useEffect(() => {
    if (stream !== 'down' || !open || !resultId) return;
    const t = setInterval(() => {
      api.withdrawal(resultId).then((r) => upsertWithdrawal(r.withdrawal), () => {});
    }, 5000);
    return () => clearInterval(t);
  }, [stream, open, resultId, upsertWithdrawal]);

  if (result) {
    return (
      <>
        <div className="card" data-testid="withdrawal" data-withdrawal-id={String(result.id)}>
          <div className="center" style={{ marginBottom: 10 }}>
            <StatusPill status={result.status} testid="withdrawal-status" />
          </div>
          <dl className="rows">
            <div className="row">
              <dt>{t('amount')}</dt>
              <dd>{amountText(result.formatted, result.asset)}</dd>
            </div>
            <div className="row">
              <dt>{t('fee')}</dt>
              <dd>{amountText(result.fee_formatted, result.fee_asset ?? 'GRAM')}</dd>
            </div>
            <div className="row">
              <dt>{t('to')}</dt>
              <dd className="address">{result.destination}</dd>
            </div>
            {result.link && (
              <div className="row">
                <dt>{t('transaction')}</dt>
                <dd>
                  <a
                    href={result.link}
                    data-testid="withdrawal-link"
                    onClick={(e) => {
                      e.preventDefault();
                      openExternal(result.link!);
                    }}
                  >
                    {t('view_in_explorer')} ↗
                  </a>
                </dd>
              </div>
            )}
          </dl>
        </div>
        <p className="muted small center">
          {open ? t('withdraw_will_update') : ''}
        </p>
        <button
          className="btn secondary"
          data-testid="withdraw-again"
          onClick={() => {
            setResultId(null);
            setAmount('');
            setSubmitted(false);
          }}
        >
          {t('new_withdrawal')}
        </button>
      </>
    );
  }

  return (
    <>
      <div className="card">
        <AssetPicker id="withdraw-asset" testid="withdraw-asset" assets={assets} value={asset} onChange={setAsset} />
        <div className="field">
          <label className="label" htmlFor="withdraw-address">
            {t('to_address')}
          </label>
          <input
            id="withdraw-address"
            className={`input${addressError ? ' invalid' : ''}`}
            data-testid="withdraw-address"
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            placeholder="UQ…"
            value={address}
            style={{ fontFamily: 'var(--mono)', fontSize: 14 }}
            onChange={(e) => setAddress(e.target.value.trim())}
          />
          {addressError && (
            <div className="field-error" data-testid="address-error" role="alert">
              {addressError}
            </div>
          )}
          {me.wallet && address !== (me.wallet.friendly || me.wallet.address) && (
            <button
              type="button"
              className="chip"
              style={{ marginTop: 8 }}
              data-testid="withdraw-use-wallet"
              onClick={() => setAddress(me.wallet!.friendly || me.wallet!.address)}
            >
              {t('use_my_wallet')}
            </button>
          )}
        </div>
        <AmountField
          id="withdraw-amount"
          label={t('amount')}
          value={amount}
          onChange={(v) => {
            setAmount(v);
            setError(null);
          }}
          symbol={asset}
          error={amountError}
          testid="withdraw-amount"
          errorTestid="withdraw-amount-error"
          hint={
            <>{t('available', { amount: amountText(bal.formatted, asset) })}</>
          }
          onMax={toUnits(bal.amount) > 0n ? () => setAmount(bal.formatted) : undefined}
        />
      </div>
      {quote && <QuoteCard quote={quote} />}
      {quoteError && !error && (
        <div className="notice" data-testid="quote-error" role="alert">
          {quoteError}
        </div>
      )}
      {error && (
        <div className="notice" data-testid="error" role="alert">
          {error}
        </div>
      )}
      {!hasMainButton && (
        <button className="btn" data-testid="withdraw-submit" disabled={busy} onClick={() => void submit()}>
          {busy && <IconSpinner />}
          {parsed.ok ? t('withdraw_amount', { amount: amountText(parsed.text, asset) }) : t('withdraw')}
        </button>
      )}
    </>
  );
}
