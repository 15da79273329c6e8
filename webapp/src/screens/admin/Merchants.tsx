import { Empty, ErrorNotice, Loading } from '../../components/Feedback';
import { WebhookHealthRows } from '../../components/WebhookHealth';
import { useResource } from '../../hooks/useResource';
import { admin } from '../../lib/dash';
import { money } from '../../lib/format';
import { t } from '../../lib/i18n';

/** Every merchant: owners, balances and how its webhook fares. */
export function Merchants() {
  const r = useResource(() => admin.merchants(), []);
  const list = r.data?.merchants ?? [];
  return (
    <>
      <ErrorNotice error={r.error} onRetry={() => void r.reload()} />
      {r.loading && !r.data ? (
        <Loading />
      ) : list.length === 0 ? (
        <div className="card">
          <Empty testid="merchants-empty">{t('merchants_empty')}</Empty>
        </div>
      ) : (
        list.map((m) => (
          <div className="card" key={m.id} data-testid={`merchant-${m.id}`}>
            <div className="item-top">
              <div className="card-title" style={{ margin: 0 }}>
                {m.name}
              </div>
              <span className="muted small">#{m.id}</span>
            </div>
            <dl className="rows">
              <div className="row">
                <dt>{t('owners')}</dt>
                <dd className="mono">{m.owners.length ? m.owners.join(', ') : '—'}</dd>
              </div>
              <div className="row">
                <dt>{t('balances')}</dt>
                <dd>
                  {m.balances.length
                    ? m.balances.map((b) => (
                        <div key={b.asset} data-testid={`merchant-${m.id}-balance-${b.asset}`}>
                          {money(b)}
                        </div>
                      ))
                    : '—'}
                </dd>
              </div>
              <WebhookHealthRows w={m.webhook} testid={`merchant-${m.id}-webhook`} />
            </dl>
          </div>
        ))
      )}
    </>
  );
}
