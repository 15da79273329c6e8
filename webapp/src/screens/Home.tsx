import { haptic } from '../lib/telegram';
import { balanceOf, useApp } from '../state';
import { WalletCard } from '../components/WalletCard';
import { IconIn, IconList, IconOut } from '../components/icons';

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
      </div>
      <div className="section-title">Wallet</div>
      <WalletCard />
    </>
  );
}
