import { when } from '../lib/format';
import type { WebhookHealth } from '../lib/types';

/** A merchant webhook's URL and record, as rows of a <dl className="rows">. */
export function WebhookHealthRows({ w, testid, showUrl = true }: { w: WebhookHealth; testid: string; showUrl?: boolean }) {
  return (
    <>
      {showUrl && (
        <div className="row">
          <dt>Webhook</dt>
          <dd data-testid={`${testid}-url`}>{w.url ? <span className="address">{w.url}</span> : <span className="muted">not set</span>}</dd>
        </div>
      )}
      {w.disabled && (
        <div className="row">
          <dt>State</dt>
          <dd className="bad strong" data-testid={`${testid}-disabled`}>
            Disabled after repeated failures
          </dd>
        </div>
      )}
      <div className="row">
        <dt>Deliveries</dt>
        <dd data-testid={`${testid}-counts`}>
          <span className="ok">{w.delivered} delivered</span> · {w.pending} pending ·{' '}
          <span className={w.failed ? 'bad' : undefined}>{w.failed} failed</span>
        </dd>
      </div>
      {w.last_delivered_at && (
        <div className="row">
          <dt>Last delivered</dt>
          <dd>{when(w.last_delivered_at)}</dd>
        </div>
      )}
      {w.last_error && (
        <div className="row">
          <dt>Last error</dt>
          <dd className="bad" data-testid={`${testid}-error`}>
            {w.last_error}
          </dd>
        </div>
      )}
    </>
  );
}
