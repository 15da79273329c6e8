import { assetName, formatNumber, t } from '../lib/i18n';
import { haptic } from '../lib/telegram';
import { balanceOf, useApp } from '../state';
import { WalletCard } from '../components/WalletCard';
import { IconIn, IconList, IconOut, IconShield, IconShop } from '../components/icons';

export function Home() {
  const { me, balances, go } = useApp();
  const [main, ...rest] = me.assets.length ? me.assets : [{ symbol: 'GRAM', decimals: 9 }];
  const mainBal = balanceOf(balances, main.symbol);
  const nav = (s: Parameters<typeof go>[0]) => () => {
    haptic.tap();
    go(s);
  };
  return (
    <>
      <div className="topbar">
        <div className="greeting">{me.user.first_name || me.user.username ? t('hi_name', { name: me.user.first_name || me.user.username || '' }) : t('hi')}</div>
        {me.network === 'testnet' && <span className="pill testnet">{t('testnet')}</span>}
      </div>
      <div className="card hero">
        <div className="hero-label">{t('balance')}</div>
        <div className="hero-amount">
          <span data-testid={`balance-${main.symbol}`} data-amount={mainBal.amount}>
            {formatNumber(mainBal.formatted)}
          </span>
          <span className="sym">{assetName(main.symbol)}</span>
        </div>
        {rest.length > 0 && (
          <div className="other-balances">
            {rest.map((a) => {
              const b = balanceOf(balances, a.symbol);
              return (
                <span key={a.symbol}>
                  <span data-testid={`balance-${a.symbol}`} data-amount={b.amount}>
                    {formatNumber(b.formatted)}
                  </span>{' '}
                  {assetName(a.symbol)}
                </span>
              );
            })}
          </div>
        )}
        {me.blocked ? (
          <div className="notice" role="alert" data-testid="blocked" style={{ margin: '18px 0 0' }}>
            {t('blocked_notice')}
          </div>
        ) : (
          <div className="actions">
            <button className="action" data-testid="nav-topup" onClick={nav({ name: 'topup' })}>
              <IconIn />
              {t('topup')}
            </button>
            <button className="action" data-testid="nav-withdraw" onClick={nav({ name: 'withdraw' })}>
              <IconOut />
              {t('withdraw')}
            </button>
            <button className="action" data-testid="nav-history" onClick={nav({ name: 'history' })}>
              <IconList />
              {t('history')}
            </button>
          </div>
        )}
      </div>
      {!me.blocked && <Manage />}
      {!me.blocked && (
        <>
          <div className="section-title">{t('wallet')}</div>
          <WalletCard />
        </>
      )}
    </>
  );
}

/** Entries for the roles /api/me lists: the admin dashboard and each merchant this user owns. */
function Manage() {
  const { me, go } = useApp();
  const roles = me.roles;
  if (!roles || (!roles.admin && roles.merchants.length === 0)) return null;
  return (
    <>
      <div className="section-title">{t('manage')}</div>
      <div className="card list-card">
        <ul className="items">
          {roles.admin && (
            <li>
              <button
                className="item item-button nav-row"
                data-testid="open-admin"
                onClick={() => {
                  haptic.tap();
                  go({ name: 'admin' });
                }}
              >
                <span className="wallet-icon">
                  <IconShield />
                </span>
                <span className="item-title">{t('title_admin')}</span>
                <span className="chev">›</span>
              </button>
            </li>
          )}
          {roles.merchants.map((m) => (
            <li key={m.id}>
              <button
                className="item item-button nav-row"
                data-testid={`open-merchant-${m.id}`}
                onClick={() => {
                  haptic.tap();
                  go({ name: 'merchant', id: m.id });
                }}
              >
                <span className="wallet-icon">
                  <IconShop />
                </span>
                <span className="item-title">{m.name}</span>
                <span className="chev">›</span>
              </button>
            </li>
          ))}
        </ul>
      </div>
    </>
  );
}
