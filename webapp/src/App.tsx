import { Suspense, lazy, useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { IconSpinner } from './components/icons';
import { ApiError, api, errorMessage } from './lib/api';
import { lang, t, type Key } from './lib/i18n';
import { WebApp, inTelegram, useBackButton, useColorScheme } from './lib/telegram';
import type { Me } from './lib/types';
import { Admin } from './screens/admin/Admin';
import { History } from './screens/History';
import { Home } from './screens/Home';
import { Merchant } from './screens/merchant/Merchant';
import { PayInvoice } from './screens/PayInvoice';
import { TopUp } from './screens/TopUp';
import { Withdraw } from './screens/Withdraw';
import { AppProvider, useApp } from './state';
import { WalletCtx, type WalletState } from './walletState';

// The TON Connect SDK and the wallet logic: fetched when a screen needs them (WalletHost).
const WalletBridge = lazy(() => import('./wallet'));

export function App() {
  const scheme = useColorScheme();
  const [me, setMe] = useState<Me | null>(null);
  const [fatal, setFatal] = useState<string | null>(null);

  useEffect(() => {
    document.documentElement.dataset.scheme = scheme;
  }, [scheme]);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, []);

  useEffect(() => {
    if (!WebApp.initData) {
      setFatal(t('open_from_bot'));
      return;
    }
    api.me().then(setMe, (e) => {
      setFatal(e instanceof ApiError && e.status === 401 ? t('session_unverified') : errorMessage(e));
    });
  }, []);

  if (fatal) {
    return (
      <div className="app">
        <div className="loading">
          <div className="notice" role="alert" style={{ maxWidth: 360 }}>
            <div data-testid="error">{fatal}</div>
            <button className="btn secondary" onClick={() => location.reload()}>
              {t('try_again')}
            </button>
          </div>
        </div>
      </div>
    );
  }
  if (!me) {
    return (
      <div className="app">
        <div className="loading" data-testid="loading">
          <IconSpinner />
        </div>
      </div>
    );
  }

  return (
    <AppProvider initial={me}>
      <WalletHost>
        <Screens />
      </WalletHost>
    </AppProvider>
  );
}

/**
 * Gives the screens the wallet's state. The SDK is loaded when a screen needs it: a payment
 * screen, a linked wallet (to show it connected), or a tap on Connect; until then the screens
 * see a wallet that is not connected, whose connect() loads the SDK and connects once it is here.
 */
function WalletHost({ children }: { children: ReactNode }) {
  const { me, screen, setWallet } = useApp();
  const [bridged, setBridged] = useState<WalletState | null>(null);
  const [connectRequested, setConnectRequested] = useState(false);
  const [load, setLoad] = useState(false);
  const needed = load || connectRequested || screen.name === 'topup' || screen.name === 'invoice' || !!me.wallet;
  useEffect(() => {
    if (needed) setLoad(true); // once loaded, it stays
  }, [needed]);

  const [error, setError] = useState<string | null>(null);
  const placeholder = useMemo<WalletState>(
    () => ({
      loaded: false,
      connected: false,
      linking: connectRequested,
      modalOpen: false,
      error,
      clearError: () => setError(null),
      connect: async () => {
        setError(null);
        setConnectRequested(true);
      },
      disconnect: async () => {
        setError(null);
        try {
          await api.unlinkWallet();
          setWallet(null);
        } catch (e) {
          setError(errorMessage(e));
        }
      },
      send: () => Promise.reject(new Error(t('wallet_not_ready'))),
      isRejection: () => false,
    }),
    [connectRequested, error, setWallet],
  );
  const onConnectStarted = useCallback(() => setConnectRequested(false), []);
  return (
    <WalletCtx.Provider value={bridged ?? placeholder}>
      {children}
      {load && (
        <Suspense fallback={null}>
          <WalletBridge onState={setBridged} connectRequested={connectRequested} onConnectStarted={onConnectStarted} />
        </Suspense>
      )}
    </WalletCtx.Provider>
  );
}

const TITLES: Record<string, Key> = {
  topup: 'title_topup',
  history: 'title_history',
  withdraw: 'title_withdraw',
  invoice: 'title_invoice',
  admin: 'title_admin',
  merchant: 'title_merchant',
};

function Screens() {
  const { me, screen, back, stream } = useApp();
  const isHome = screen.name === 'home';
  useBackButton(isHome ? null : back);
  // A merchant's screen is titled with its name.
  const title = (screen.name === 'merchant' && me.roles?.merchants.find((m) => m.id === screen.id)?.name) || (TITLES[screen.name] ? t(TITLES[screen.name]) : '');
  return (
    <main className="app" data-screen={screen.name}>
      {/* A blocked user's stream is refused too: the home screen says why, not "session expired". */}
      {stream === 'unauthorized' && !me.blocked && (
        <div className="notice" data-testid="session-expired" role="alert">
          {t('session_expired')}
        </div>
      )}
      {!isHome && (
        <div className="topbar">
          {!inTelegram && (
            <button className="back" data-testid="back" onClick={back} aria-label={t('back')}>
              ‹
            </button>
          )}
          <h1>{title}</h1>
        </div>
      )}
      {screen.name === 'home' && <Home />}
      {screen.name === 'topup' && <TopUp key={`${screen.asset}-${screen.amount}`} initialAsset={screen.asset} initialAmount={screen.amount} />}
      {screen.name === 'history' && <History />}
      {screen.name === 'withdraw' && <Withdraw />}
      {screen.name === 'invoice' && <PayInvoice key={screen.id} id={screen.id} />}
      {screen.name === 'admin' && <Admin />}
      {screen.name === 'merchant' && <Merchant key={screen.id} id={screen.id} />}
    </main>
  );
}
