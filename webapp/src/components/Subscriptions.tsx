import { useCallback, useEffect, useState } from 'react';
import { api, errorMessage } from '../lib/api';
import { formatDate, formatNumber, t, tn } from '../lib/i18n';
import { haptic } from '../lib/telegram';
import type { StarsSubscription } from '../lib/types';

const dateOf = (iso: string) => {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : formatDate(ms);
};

/**
 * The user's Stars subscriptions: renewal date, cancel (it runs to the end of the paid month) and
 * resume before then; a failed renewal and expired ones say so (no button: there is nothing to
 * cancel or resume). Hidden while there are none. Reloaded when a purchase is pushed (a new
 * subscription or a renewal) or the subscription changes.
 */
export function Subscriptions() {
  const [subs, setSubs] = useState<StarsSubscription[] | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    api.subscriptions().then(
      (r) => setSubs(r.subscriptions ?? []),
      () => setSubs((s) => s ?? []),
    );
  }, []);

  useEffect(() => {
    load();
    window.addEventListener('tonpay:purchase', load);
    window.addEventListener('tonpay:subscription', load);
    return () => {
      window.removeEventListener('tonpay:purchase', load);
      window.removeEventListener('tonpay:subscription', load);
    };
  }, [load]);

  if (!subs || subs.length === 0) return null;

  const setCanceled = async (s: StarsSubscription, canceled: boolean) => {
    setError(null);
    setBusy(s.package);
    try {
      const r = await api.setSubscriptionCanceled(s.package, canceled);
      setSubs((all) => (all ?? []).map((x) => (x.package === s.package ? r.subscription : x)));
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
      <div className="section-title">{t('subscriptions')}</div>
      <div className="card" data-testid="subscriptions">
        {subs.map((s) => (
          <div className="pkg" key={s.package} data-testid={`subscription-${s.package}`} data-status={s.status}>
            <div className="pkg-main">
              <div className="pkg-name">{s.package}</div>
              <div className="muted small" data-testid={`subscription-${s.package}-state`}>
                {t('subscription_terms', { credits: tn('n_credits', Number(s.credits)), stars: formatNumber(String(s.stars)) })} ·{' '}
                {s.status === 'active'
                  ? t('subscription_renews', { date: dateOf(s.expires_at) })
                  : s.status === 'canceled'
                    ? t('subscription_canceled', { date: dateOf(s.expires_at) })
                    : s.status === 'payment_failed'
                      ? t('subscription_payment_failed', { date: dateOf(s.expires_at) })
                      : t('subscription_expired', { date: dateOf(s.expires_at) })}
              </div>
            </div>
            {(s.status === 'active' || s.status === 'canceled') && (
              <button
                className="btn small secondary"
                data-testid={`subscription-${s.package}-${s.status === 'active' ? 'cancel' : 'resume'}`}
                disabled={busy !== null}
                onClick={() => void setCanceled(s, s.status === 'active')}
              >
                {busy === s.package ? '…' : s.status === 'active' ? t('cancel') : t('resume')}
              </button>
            )}
          </div>
        ))}
      </div>
      {error && (
        <div className="notice" data-testid="subscription-error" role="alert">
          {error}
        </div>
      )}
    </>
  );
}
