import { useState } from 'react';
import { Copy } from '../../components/Copy';
import { Deliveries } from '../../components/Deliveries';
import { ErrorNotice, Loading } from '../../components/Feedback';
import { WebhookHealthRows } from '../../components/WebhookHealth';
import { useResource } from '../../hooks/useResource';
import { errorMessage } from '../../lib/api';
import type { MerchantApi } from '../../lib/dash';
import { t } from '../../lib/i18n';
import { haptic } from '../../lib/telegram';
import type { MerchantInfo } from '../../lib/types';

const REFRESH_MS = 3000;

/** Where events go, the signing secret (rotated, shown once), a test event, and every delivery. */
export function Webhook({ api, info, onSaved }: { api: MerchantApi; info: MerchantInfo; onSaved: () => void }) {
  const deliveries = useResource(() => api.deliveries(), [api], REFRESH_MS);
  const [url, setUrl] = useState(info.webhook.url);
  const [secret, setSecret] = useState<string | null>(null);
  const [busy, setBusy] = useState<'save' | 'rotate' | 'test' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const run = async (what: 'save' | 'rotate' | 'test') => {
    setBusy(what);
    setError(null);
    setDone(null);
    try {
      if (what === 'save') {
        const r = await api.setWebhook(url.trim());
        if (r.secret) setSecret(r.secret);
        setDone(url.trim() ? t('webhook_saved') : t('webhook_removed'));
        onSaved();
      } else if (what === 'rotate') {
        const r = await api.rotateSecret();
        setSecret(r.secret);
      } else {
        const d = await api.testWebhook();
        deliveries.mutate((cur) => ({ deliveries: [d, ...(cur?.deliveries ?? []).filter((x) => String(x.id) !== String(d.id))] }));
        setDone(t('webhook_test_queued'));
      }
      haptic.success();
    } catch (e) {
      haptic.error();
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <div className="card">
        <div className="field">
          <label className="label" htmlFor="webhook-url">
            {t('webhook_url')}
          </label>
          <input
            id="webhook-url"
            className="input mono-input"
            type="url"
            inputMode="url"
            data-testid="webhook-url"
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            placeholder="https://shop.example/tonpay"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
          />
        </div>
        <div className="button-row">
          <button className="btn small" data-testid="webhook-save" disabled={busy !== null} onClick={() => void run('save')}>
            {busy === 'save' ? t('saving') : t('save')}
          </button>
          <button className="btn small secondary" data-testid="webhook-rotate" disabled={busy !== null} onClick={() => void run('rotate')}>
            {busy === 'rotate' ? t('rotating') : t('rotate_secret')}
          </button>
          <button className="btn small secondary" data-testid="webhook-test" disabled={busy !== null || !info.webhook.url} onClick={() => void run('test')}>
            {busy === 'test' ? t('sending') : t('send_test_event')}
          </button>
        </div>
        <dl className="rows" style={{ marginTop: 12 }}>
          <WebhookHealthRows w={info.webhook} testid="webhook" showUrl={false} />
        </dl>
      </div>
      {secret && (
        <div className="card secret" data-testid="webhook-secret-box">
          <div className="label-line">{t('new_secret')}</div>
          <div className="secret-value">
            <span className="address" data-testid="webhook-secret">
              {secret}
            </span>
            <Copy text={secret} testid="webhook-secret-copy" />
          </div>
          <p className="warn small">{t('secret_shown_once')}</p>
        </div>
      )}
      <ErrorNotice error={error} testid="webhook-error" />
      {done && (
        <div className="notice ok" role="status" data-testid="webhook-done">
          {done}
        </div>
      )}
      <div className="section-title">{t('deliveries')}</div>
      <ErrorNotice error={deliveries.error} onRetry={() => void deliveries.reload()} />
      <div className="card list-card">
        {deliveries.loading && !deliveries.data ? (
          <Loading />
        ) : (
          deliveries.data && (
            <Deliveries
              deliveries={deliveries.data.deliveries ?? []}
              api={api}
              onUpdated={(x) => {
                deliveries.mutate((cur) => (cur ? { deliveries: cur.deliveries.map((o) => (String(o.id) === String(x.id) ? x : o)) } : cur));
                onSaved(); // a redelivery re-enables the webhook
              }}
            />
          )
        )}
      </div>
    </>
  );
}
