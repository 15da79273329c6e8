// A merchant's dashboard for its owners: balances, invoices (watching them get paid), new
// invoices to share, payouts, the webhook and its deliveries, the API token, the audit trail.
import { useMemo, useState } from 'react';
import { ErrorNotice, Loading } from '../../components/Feedback';
import { Tabs, type Tab } from '../../components/Tabs';
import { useResource } from '../../hooks/useResource';
import { merchant } from '../../lib/dash';
import { assetName, formatNumber, t } from '../../lib/i18n';
import { MerchantAudit } from './MerchantAudit';
import { Invoices } from './Invoices';
import { NewInvoice } from './NewInvoice';
import { Payouts } from './Payouts';
import { Settings } from './Settings';
import { Webhook } from './Webhook';

type Name = 'invoices' | 'new' | 'payouts' | 'webhook' | 'settings' | 'audit';

const tabs = (): Tab<Name>[] => [
  { name: 'invoices', label: t('tab_invoices') },
  { name: 'new', label: t('tab_new_invoice') },
  { name: 'payouts', label: t('payouts') },
  { name: 'webhook', label: t('webhook') },
  { name: 'settings', label: t('api_token') },
  { name: 'audit', label: t('tab_audit') },
];

// Balances move as invoices get paid: read again now and then while the screen is open.
const INFO_REFRESH_MS = 3_000;

export function Merchant({ id }: { id: number }) {
  const api = useMemo(() => merchant(id), [id]);
  const info = useResource(() => api.info(), [api], INFO_REFRESH_MS);
  const [tab, setTab] = useState<Name>('invoices');
  const m = info.data;

  if (!m) {
    return (
      <>
        <ErrorNotice error={info.error} onRetry={() => void info.reload()} />
        {info.loading && <Loading />}
      </>
    );
  }
  const refresh = () => void info.reload(true);
  return (
    <div data-testid="merchant" data-merchant-id={m.id}>
      <div className="card balances" data-testid="merchant-balances">
        {(m.balances.length ? m.balances : m.assets.map((a) => ({ asset: a.symbol, amount: '0', formatted: '0' }))).map((b) => (
          <div className="balance-cell" key={b.asset}>
            <div className="muted small">{assetName(b.asset)}</div>
            <div className="balance-figure" data-testid={`merchant-balance-${b.asset}`} data-amount={b.amount}>
              {formatNumber(b.formatted)}
            </div>
          </div>
        ))}
      </div>
      <Tabs tabs={tabs()} value={tab} onChange={setTab} prefix="merchant" />
      {tab === 'invoices' && <Invoices api={api} />}
      {tab === 'new' && <NewInvoice api={api} assets={m.assets} onCreated={refresh} />}
      {tab === 'payouts' && <Payouts api={api} info={m} onPaid={refresh} />}
      {tab === 'webhook' && <Webhook api={api} info={m} onSaved={refresh} />}
      {tab === 'settings' && <Settings api={api} />}
      {tab === 'audit' && <MerchantAudit api={api} />}
    </div>
  );
}
