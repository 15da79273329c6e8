import { THEME, TonConnectUIProvider } from '@tonconnect/ui-react';
import { useEffect, useState } from 'react';
import { IconSpinner } from './components/icons';
import { ApiError, api, errorMessage } from './lib/api';
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
import { WalletProvider } from './wallet';

const manifestUrl = `${location.origin}/tonconnect-manifest.json`;

export function App() {
  const scheme = useColorScheme();
  const [me, setMe] = useState<Me | null>(null);
  const [fatal, setFatal] = useState<string | null>(null);

  useEffect(() => {
    document.documentElement.dataset.scheme = scheme;
  }, [scheme]);

  useEffect(() => {
    if (!WebApp.initData) {
      setFatal('Open this page from the Telegram bot: it needs your Telegram sign-in.');
      return;
    }
    api.me().then(setMe, (e) => {
      setFatal(
        e instanceof ApiError && e.status === 401
          ? 'Your Telegram session could not be verified. Close the app and open it again from the bot.'
          : errorMessage(e),
      );
    });
  }, []);

  if (fatal) {
    return (
      <div className="app">
        <div className="loading">
          <div className="notice" role="alert" style={{ maxWidth: 360 }}>
            <div data-testid="error">{fatal}</div>
            <button className="btn secondary" onClick={() => location.reload()}>
              Try again
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

  const button = WebApp.themeParams.button_color;
  const buttonText = WebApp.themeParams.button_text_color;
  const colors = button ? { accent: button, connectButton: { background: button, foreground: buttonText || '#fff' } } : {};
  return (
    <TonConnectUIProvider
      manifestUrl={manifestUrl}
      language="en"
      // No third-party analytics from a payment page (the SDK would send the Telegram user id).
      analytics={{ mode: 'off' }}
      uiPreferences={{
        theme: scheme === 'dark' ? THEME.DARK : THEME.LIGHT,
        borderRadius: 'm',
        colorsSet: { [THEME.LIGHT]: colors, [THEME.DARK]: colors },
      }}
      actionsConfiguration={inTelegram && me.twa_return_url ? { twaReturnUrl: me.twa_return_url as `${string}://${string}` } : undefined}
    >
      <AppProvider initial={me}>
        <WalletProvider>
          <Screens />
        </WalletProvider>
      </AppProvider>
    </TonConnectUIProvider>
  );
}

const TITLES: Record<string, string> = {
  topup: 'Top up',
  history: 'History',
  withdraw: 'Withdraw',
  invoice: 'Payment',
  admin: 'Admin',
  merchant: 'Merchant',
};

function Screens() {
  const { me, screen, back, stream } = useApp();
  const isHome = screen.name === 'home';
  useBackButton(isHome ? null : back);
  // A merchant's screen is titled with its name.
  const title = (screen.name === 'merchant' && me.roles?.merchants.find((m) => m.id === screen.id)?.name) || TITLES[screen.name];
  return (
    <main className="app" data-screen={screen.name}>
      {/* A blocked user's stream is refused too: the home screen says why, not "session expired". */}
      {stream === 'unauthorized' && !me.blocked && (
        <div className="notice" data-testid="session-expired" role="alert">
          Your Telegram session has expired. Close the app and open it again from the bot.
        </div>
      )}
      {!isHome && (
        <div className="topbar">
          {!inTelegram && (
            <button className="back" data-testid="back" onClick={back} aria-label="Back">
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
