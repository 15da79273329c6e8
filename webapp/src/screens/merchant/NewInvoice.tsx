import { useMemo, useState } from 'react';
import { AmountField } from '../../components/AmountField';
import { AssetPicker } from '../../components/AssetPicker';
import { Copy } from '../../components/Copy';
import { ErrorNotice } from '../../components/Feedback';
import { PrimaryAction } from '../../components/PrimaryAction';
import { Qr } from '../../components/Qr';
import { parseAmount } from '../../lib/amount';
import { amountError as amountErrorText, amountText, sameAsset, t } from '../../lib/i18n';
import { errorMessage } from '../../lib/api';
import type { MerchantApi } from '../../lib/dash';
import { haptic, shareLink } from '../../lib/telegram';
import type { Asset, MerchantInvoice } from '../../lib/types';

const MAX_DESCRIPTION = 255;

/** Create an invoice by hand and pass its pay link on: copy, share to a chat, or show the QR. */
export function NewInvoice({ api, assets, onCreated }: { api: MerchantApi; assets: Asset[]; onCreated: () => void }) {
  const list = assets.length ? assets : [{ symbol: 'GRAM', decimals: 9 }];
  const [asset, setAsset] = useState(list[0].symbol);
  const [amount, setAmount] = useState('');
  const [description, setDescription] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<MerchantInvoice | null>(null);

  const decimals = list.find((a) => sameAsset(a.symbol, asset))?.decimals ?? 9;
  const parsed = useMemo(() => parseAmount(amount, decimals, asset), [amount, decimals, asset]);
  const amountError = !parsed.ok && (amount.trim() !== '' || submitted) ? amountErrorText(parsed, asset) : null;

  const create = async () => {
    if (busy) return;
    setSubmitted(true);
    setError(null);
    if (!parsed.ok) {
      haptic.error();
      return;
    }
    setBusy(true);
    try {
      const inv = await api.createInvoice(asset, parsed.text, description.trim());
      haptic.success();
      setCreated(inv);
      onCreated();
    } catch (e) {
      haptic.error();
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  if (created) {
    const url = created.pay_url ?? '';
    return (
      <>
        <div className="card" data-testid="new-invoice">
          <div className="invoice-amount center" style={{ fontSize: 26 }}>
            {amountText(created.amount, created.asset)}
          </div>
          {created.description && <div className="invoice-text center">{created.description}</div>}
          {url && <Qr text={url} label={t('pay_link_qr')} />}
          <dl className="rows">
            <div className="row">
              <dt>{t('invoice')}</dt>
              <dd className="mono small-address" data-testid="new-invoice-id">
                {created.id}
              </dd>
            </div>
            <div className="row">
              <dt>{t('pay_link')}</dt>
              <dd>
                {url ? (
                  <>
                    <span className="address" data-testid="new-invoice-link">
                      {url}
                    </span>
                    <Copy text={url} testid="new-invoice-copy" />
                  </>
                ) : (
                  <span className="muted">{t('no_pay_link')}</span>
                )}
              </dd>
            </div>
          </dl>
        </div>
        <div className="stack">
          {url && (
            <button
              className="btn"
              data-testid="new-invoice-share"
              onClick={() => {
                haptic.tap();
                shareLink(url, `${created.description || t('payment')}: ${amountText(created.amount, created.asset)}`);
              }}
            >
              {t('share')}
            </button>
          )}
          <button
            className="btn secondary"
            data-testid="new-invoice-again"
            onClick={() => {
              setCreated(null);
              setAmount('');
              setDescription('');
              setSubmitted(false);
            }}
          >
            {t('create_another')}
          </button>
        </div>
      </>
    );
  }

  return (
    <>
      <div className="card">
        <AssetPicker id="new-invoice-asset" testid="new-invoice-asset" assets={list} value={asset} onChange={setAsset} />
        <AmountField
          id="new-invoice-amount"
          label={t('amount')}
          value={amount}
          onChange={(v) => {
            setAmount(v);
            setError(null);
          }}
          symbol={asset}
          error={amountError}
          testid="new-invoice-amount"
          errorTestid="new-invoice-amount-error"
        />
        <div className="field" style={{ marginBottom: 0 }}>
          <label className="label" htmlFor="new-invoice-description">
            {t('description_label')}
          </label>
          <input
            id="new-invoice-description"
            className="input"
            data-testid="new-invoice-description"
            maxLength={MAX_DESCRIPTION}
            placeholder={t('description_placeholder')}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
        </div>
      </div>
      <ErrorNotice error={error} testid="new-invoice-error" />
      <PrimaryAction text={t('create_invoice')} onClick={() => void create()} busy={busy} testid="new-invoice-create" />
    </>
  );
}
