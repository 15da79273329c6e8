import { useEffect, useRef, useState } from 'react';
import { formatUnits, toUnits } from '../lib/amount';
import { ApiError, api, errorMessage } from '../lib/api';
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

  const decimalsOf = (asset: string) => me.assets.find((a) => a.symbol === asset)?.decimals ?? 9;
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
        setFailure({ pkg: p, message: status === 'cancelled' ? 'Payment cancelled.' : 'Telegram could not take the payment.', missing: null });
        return;
      }
      setDone('Payment received by Telegram; confirming…');
      const r = await Promise.race([booked, new Promise<null>((res) => setTimeout(() => res(null), 30_000))]);
      haptic.success();
      setDone(r ? `${r.credits} credits added (${p.name}, ⭐ ${r.stars}).` : 'Paid; your credits arrive in a moment.');
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
      setDone(`${r.purchase.credits} credits added (${p.name}).`);
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
      <div className="section-title">Credit packages</div>
      <div className="card" data-testid="packages">
        {packages.map((p) => (
          <div className="pkg" key={key(p)} data-testid={`package-${p.name}${p.asset === 'XTR' ? '-stars' : ''}`}>
            <div className="wallet-icon">
              <IconBox />
            </div>
            <div className="pkg-main">
              <div className="pkg-name">{p.name}</div>
              <div className="muted small">
                {p.credits} credits{p.period ? ' every month' : ''}
              </div>
            </div>
            <button
              className={`btn small ${confirming === p.name ? '' : 'secondary'}`}
              data-testid={`buy-${p.name}${p.asset === 'XTR' ? '-stars' : ''}`}
              disabled={buying !== null}
              onClick={() => void buy(p)}
            >
              {buying === key(p)
                ? 'Buying…'
                : p.asset === 'XTR'
                  ? `⭐ ${p.formatted}${p.period ? ' / month' : ''}`
                  : confirming === p.name
                    ? 'Confirm'
                    : `${p.formatted} ${p.asset}`}
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
              Top up {failure.missing} {failure.pkg.asset}
            </button>
          )}
        </div>
      )}
    </>
  );
}
