import { haptic } from '../lib/telegram';
import { balanceOf, useApp } from '../state';
import { WalletCard } from '../components/WalletCard';
import { IconIn, IconList, IconOut, IconShield, IconShop } from '../components/icons';

export function Home() {
  const { me, balances, go } = useApp();
  const [main, ...rest] = me.assets.length ? me.assets : [{ symbol: 'TON', decimals: 9 }];
  const mainBal = balanceOf(balances, main.symbol);
  const nav = (s: Parameters<typeof go>[0]) => () => {
    haptic.tap();
    go(s);
  };
  return (
    <>
      <div className="topbar">
        <div className="greeting">Hi, {me.user.first_name || me.user.username || 'there'}</div>
        {me.network === 'testnet' && <span className="pill testnet">Testnet</span>}
      </div>
      <div className="card hero">
        <div className="hero-label">Balance</div>
        <div className="hero-amount">
          <span data-testid={`balance-${main.symbol}`} data-amount={mainBal.amount}>
            {mainBal.formatted}
          </span>
          <span className="sym">{main.symbol}</span>
        </div>
        {rest.length > 0 && (
          <div className="other-balances">
            {rest.map((a) => {
              const b = balanceOf(balances, a.symbol);
              return (
                <span key={a.symbol}>
                  <span data-testid={`balance-${a.symbol}`} data-amount={b.amount}>
                    {b.formatted}
                  </span>{' '}
                  {a.symbol}
                </span>
              );
            })}
          </div>
        )}
        {me.blocked ? (
          <div className="notice" role="alert" data-testid="blocked" style={{ margin: '18px 0 0' }}>
            Your account is blocked by the service's administrator: top-ups, withdrawals and payments are not available.
            Contact the service's support to find out why.
          </div>
        ) : (
          <div className="actions">
            <button className="action" data-testid="nav-topup" onClick={nav({ name: 'topup' })}>
              <IconIn />
              Top up
            </button>
            <button className="action" data-testid="nav-withdraw" onClick={nav({ name: 'withdraw' })}>
              <IconOut />
              Withdraw
            </button>
            <button className="action" data-testid="nav-history" onClick={nav({ name: 'history' })}>
              <IconList />
              History
            </button>
          </div>
        )}
      </div>
      {!me.blocked && <Manage />}
      {!me.blocked && (
        <>
          <div className="section-title">Wallet</div>
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
      <div className="section-title">Manage</div>
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
                <span className="item-title">Admin</span>
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
