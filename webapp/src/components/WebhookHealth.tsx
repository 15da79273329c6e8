import { when } from '../lib/format';
import { t } from '../lib/i18n';
import type { WebhookHealth } from '../lib/types';

/** A merchant webhook's URL and record, as rows of a <dl className="rows">. */
export function WebhookHealthRows({ w, testid, showUrl = true }: { w: WebhookHealth; testid: string; showUrl?: boolean }) {
  return (
    <>
      {showUrl && (
        <div className="row">
          <dt>{t('webhook')}</dt>
          <dd data-testid={`${testid}-url`}>{w.url ? <span className="address">{w.url}</span> : <span className="muted">{t('not_set')}</span>}</dd>
        </div>
      )}
      {w.disabled && (
        <div className="row">
          <dt>{t('state')}</dt>
          <dd className="bad strong" data-testid={`${testid}-disabled`}>
            {t('webhook_disabled')}
          </dd>
        </div>
      )}
      <div className="row">
        <dt>{t('deliveries')}</dt>
        <dd data-testid={`${testid}-counts`}>
          <span className="ok">{t('n_delivered', { n: w.delivered })}</span> · {t('n_pending', { n: w.pending })} ·{' '}
          <span className={w.failed ? 'bad' : undefined}>{t('n_failed', { n: w.failed })}</span>
        </dd>
      </div>
      {w.last_delivered_at && (
        <div className="row">
          <dt>{t('last_delivered')}</dt>
          <dd>{when(w.last_delivered_at)}</dd>
        </div>
      )}
      {w.last_error && (
        <div className="row">
          <dt>{t('last_error')}</dt>
          <dd className="bad mono" data-testid={`${testid}-error`}>
            {w.last_error}
          </dd>
        </div>
      )}
    </>
  );
}
