import { useEffect, useRef, useState } from 'react';
import { formatUnits, toUnits } from '../lib/amount';
import { ApiError, api, errorMessage } from '../lib/api';
import { amountText, formatNumber, sameAsset, t, tn } from '../lib/i18n';
import { WebApp, haptic } from '../lib/telegram';
import type { CreditPackage, StarsPurchase } from '../lib/types';
import { balanceOf, useApp } from '../state';
import { IconBox } from './icons';

/** Credit packages bought from the balance. Hidden when the server offers none. */
export function Packages({ onTopUp }: { onTopUp: (asset: string, amount: string) => void }) {
  const { me, balances, setBalances } = useApp();
  const [packages, setPackages] = useState<CreditPackage[] | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [buying, setBuying] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [failure, setFailure] = useState<{ pkg: CreditPackage; message: string; missing: string | null } | null>(null);
  const confirmTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    api.packages().then(
      (r) => setPackages(r.packages ?? []),
      () => setPackages([]),
    );
    return () => clearTimeout(confirmTimer.current);
  }, []);

  if (!packages || packages.length === 0) return null;

  const key = (p: CreditPackage) => `${p.name}:${p.asset}`;

  const decimalsOf = (asset: string) => me.assets.find((a) => sameAsset(a.symbol, asset))?.decimals ?? 9;
  const missingFor = (p: CreditPackage): string | null => {
    const have = toUnits(balanceOf(balances, p.asset).amount);
    const need = toUnits(p.price) - have;
    return need > 0n ? formatUnits(need, decimalsOf(p.asset)) : null;
  };

  // A price in Telegram Stars is paid in Telegram: the invoice opens over
  // the app, its closing status says little (a cancelled double tap may still
  // have charged), the booked payment arrives over the event stream.
  const buyStars = async (p: CreditPackage) => {
    setDone(null);
    setFailure(null);
    setBuying(key(p));
    try {
      const { link } = await api.starsInvoice(p.name);
      const booked = new Promise<StarsPurchase>((resolve) => {
        const on = (e: Event) => {
          const d = (e as CustomEvent<StarsPurchase>).detail;
          if (d && d.package === p.name) {
            window.removeEventListener('tonpay:purchase', on);
            resolve(d);
          }
        };
        window.addEventListener('tonpay:purchase', on);
      });
      const status = await new Promise<string>((resolve) => {
        if (typeof WebApp.openInvoice !== 'function') return resolve('failed');
        WebApp.openInvoice(link, (s: string) => resolve(s));
      });
      if (status === 'cancelled' || status === 'failed') {
        setFailure({ pkg: p, message: status === 'cancelled' ? t('stars_cancelled') : t('stars_failed'), missing: null });
        return;
      }
      setDone(t('stars_confirming'));
      const r = await Promise.race([booked, new Promise<null>((res) => setTimeout(() => res(null), 30_000))]);
      haptic.success();
      setDone(r ? t('credits_added_stars', { credits: tn('n_credits', Number(r.credits)), name: p.name, stars: formatNumber(String(r.stars)) }) : t('credits_soon'));
    } catch (e) {
      haptic.error();
      setFailure({ pkg: p, message: errorMessage(e), missing: null });
    } finally {
      setBuying(null);
    }
  };

  const buy = async (p: CreditPackage) => {
    if (p.asset === 'XTR') return buyStars(p);
    setDone(null);
    setFailure(null);
    // Two taps: the first arms the button, the second buys.
    if (confirming !== p.name) {
      haptic.tap();
      setConfirming(p.name);
      clearTimeout(confirmTimer.current);
      confirmTimer.current = setTimeout(() => setConfirming(null), 4000);
      return;
    }
    clearTimeout(confirmTimer.current);
    setConfirming(null);
    setBuying(key(p));
    try {
      const r = await api.purchase(p.name);
      if (Array.isArray(r.balances)) setBalances(r.balances);
      haptic.success();
      setDone(t('credits_added', { credits: tn('n_credits', Number(r.purchase.credits)), name: p.name }));
    } catch (e) {
      haptic.error();
      const insufficient = e instanceof ApiError && /insufficient/.test(e.code);
      setFailure({ pkg: p, message: errorMessage(e), missing: insufficient ? (missingFor(p) ?? formatUnits(toUnits(p.price), decimalsOf(p.asset))) : null });
    } finally {
      setBuying(null);
    }
  };

  return (
    <>
      <div className="section-title">{t('credit_packages')}</div>
      <div className="card" data-testid="packages">
        {packages.map((p) => (
          <div className="pkg" key={key(p)} data-testid={`package-${p.name}${p.asset === 'XTR' ? '-stars' : ''}`}>
            <div className="wallet-icon">
              <IconBox />
            </div>
            <div className="pkg-main">
              <div className="pkg-name">{p.name}</div>
              <div className="muted small">
                {tn('n_credits', Number(p.credits))}{p.period ? ` ${t('every_month')}` : ''}
              </div>
            </div>
            <button
              className={`btn small ${confirming === p.name ? '' : 'secondary'}`}
              data-testid={`buy-${p.name}${p.asset === 'XTR' ? '-stars' : ''}`}
              disabled={buying !== null}
              onClick={() => void buy(p)}
            >
              {buying === key(p)
                ? t('buying')
                : p.asset === 'XTR'
                  ? `⭐ ${formatNumber(p.formatted)}${p.period ? ` ${t('per_month')}` : ''}`
                  : confirming === p.name
                    ? t('confirm')
                    : amountText(p.formatted, p.asset)}
            </button>
          </div>
        ))}
      </div>
      {done && (
        <div className="notice ok" data-testid="purchase-done" role="status">
          {done}
        </div>
      )}
      {failure && (
        <div className="notice" data-testid="purchase-error" role="alert">
          {failure.message}
          {failure.missing && (
            <button
              className="btn"
              data-testid="purchase-topup"
              onClick={() => {
                setFailure(null);
                onTopUp(failure.pkg.asset, failure.missing!);
              }}
            >
              {t('topup_amount', { amount: amountText(failure.missing, failure.pkg.asset) })}
            </button>
          )}
        </div>
      )}
    </>
  );
}
