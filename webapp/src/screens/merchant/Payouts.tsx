import { useState } from 'react';
import { AmountField } from '../../components/AmountField';
import { AssetPicker } from '../../components/AssetPicker';
import { ExtLink } from '../../components/ExtLink';
import { Empty, ErrorNotice, Loading } from '../../components/Feedback';
import { PrimaryAction } from '../../components/PrimaryAction';
import { QuoteCard } from '../../components/QuoteCard';
import { StatusPill } from '../../components/StatusPill';
import { usePayoutForm } from '../../hooks/usePayoutForm';
import { useResource } from '../../hooks/useResource';
import { errorMessage } from '../../lib/api';
import type { MerchantApi } from '../../lib/dash';
import { statusWords, when } from '../../lib/format';
import { amountText, t } from '../../lib/i18n';
import { haptic } from '../../lib/telegram';
import { uuid } from '../../lib/uuid';
import type { MerchantInfo, WithdrawalQuote } from '../../lib/types';
import { balanceOf } from '../../state';

const REFRESH_MS = 5000;

/**
 * Pay out from the merchant's balance: asset, amount, address → the rule book's quote → confirm.
 * One spend_id per form: a confirm retried after a lost answer cannot pay twice.
 */
export function Payouts({ api, info, onPaid }: { api: MerchantApi; info: MerchantInfo; onPaid: () => void }) {
  const list = useResource(() => api.payouts(), [api], REFRESH_MS);
  const assets = info.assets.length ? info.assets : [{ symbol: 'GRAM', decimals: 9 }];
  const { asset, setAsset, address, setAddress, amount, setAmount, setSubmitted, bal, parsed, amountError, addrOk, addressError, form } = usePayoutForm({
    assets,
    balanceOf: (a) => balanceOf(info.balances, a),
    overBalance: 'more_than_merchant_balance',
    emptyAddress: 'address_empty_payout',
  });
  const [spendId, setSpendId] = useState(() => uuid());
  const [quote, setQuote] = useState<{ form: string; q: WithdrawalQuote } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const quoted = quote && quote.form === form ? quote.q : null;

  const getQuote = async () => {
    setSubmitted(true);
    setError(null);
    setDone(null);
    if (!parsed.ok || amountError || !addrOk) {
      haptic.error();
      return;
    }
    setBusy(true);
    try {
      const q = await api.quote(asset, parsed.text, address.trim());
      haptic.tap();
      setQuote({ form, q });
    } catch (e) {
      haptic.error();
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const confirm = async () => {
    if (!parsed.ok || !quoted) return;
    setBusy(true);
    setError(null);
    try {
      const p = await api.payout(asset, parsed.text, address.trim(), spendId);
      haptic.success();
      list.mutate((d) => ({ payouts: [p, ...(d?.payouts ?? []).filter((x) => x.id !== p.id)] }));
      setDone(t('payout_done', { id: p.id, amount: amountText(p.amount, p.asset), status: statusWords(p.status) }));
      setSpendId(uuid());
      setQuote(null);
      setAmount('');
      setSubmitted(false);
      onPaid();
    } catch (e) {
      haptic.error();
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const payouts = list.data?.payouts ?? [];
  return (
    <>
      <div className="card">
        <AssetPicker id="payout-asset" testid="payout-asset" assets={assets} value={asset} onChange={setAsset} />
        <div className="field">
          <label className="label" htmlFor="payout-address">
            {t('to_address')}
          </label>
          <input
            id="payout-address"
            className={`input mono-input${addressError ? ' invalid' : ''}`}
            data-testid="payout-address"
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            placeholder="UQ…"
            value={address}
            onChange={(e) => setAddress(e.target.value.trim())}
          />
          {addressError && (
            <div className="field-error" data-testid="payout-address-error" role="alert">
              {addressError}
            </div>
          )}
        </div>
        <AmountField
          id="payout-amount"
          label={t('amount')}
          value={amount}
          onChange={(v) => {
            setAmount(v);
            setError(null);
          }}
          symbol={asset}
          error={amountError}
          testid="payout-amount"
          errorTestid="payout-amount-error"
          hint={
            <>{t('available', { amount: amountText(bal.formatted, asset) })}</>
          }
        />
      </div>
      {quoted && <QuoteCard quote={quoted} testid="payout-quote" totalLabel={t('leaves_merchant_balance')} />}
      <ErrorNotice error={error} testid="payout-error" />
      {done && (
        <div className="notice ok" role="status" data-testid="payout-done">
          {done}
        </div>
      )}
      {quoted ? (
        <PrimaryAction text={t('pay_out_amount', { amount: amountText(parsed.ok ? parsed.text : '', asset) })} onClick={() => void confirm()} busy={busy} testid="payout-confirm" />
      ) : (
        <PrimaryAction text={t('get_quote')} onClick={() => void getQuote()} busy={busy} testid="payout-get-quote" />
      )}

      <div className="section-title">{t('recent_payouts')}</div>
      <ErrorNotice error={list.error} onRetry={() => void list.reload()} />
      <div className="card list-card">
        {list.loading && !list.data ? (
          <Loading />
        ) : payouts.length === 0 ? (
          <Empty testid="payouts-empty">{t('payouts_empty')}</Empty>
        ) : (
          <ul className="items">
            {payouts.map((p) => (
              <li className="item" key={p.id} data-testid={`payout-${p.id}`}>
                <div className="item-top">
                  <span className="item-title strong">
                    {amountText(p.amount, p.asset)}
                  </span>
                  <StatusPill status={p.status} testid={`payout-status-${p.id}`} />
                </div>
                <div className="item-sub">
                  {t('fee_amount', { amount: amountText(p.fee, p.fee_asset) })} · {when(p.created_at)}
                </div>
                <div className="address small-address">{p.address}</div>
                {p.failure_reason && <div className="item-error mono">{p.failure_reason}</div>}
                {p.explorer_url && (
                  <div className="item-sub">
                    <ExtLink href={p.explorer_url}>{t('view_in_explorer')} ↗</ExtLink>
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
    </>
  );
}
