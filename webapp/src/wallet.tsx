// Wallet linking with TON Connect and ton_proof: fetch a payload from the API before the
// wallet is asked (connect request parameters 'loading' → 'ready'), then post account + proof
// to /api/wallet, which verifies the signature and links the address to the Telegram user.
//
// This module and the TON Connect SDK are loaded on demand (App.tsx imports it lazily): it mounts
// the SDK's provider beside the screens and publishes the wallet's state to them through
// `onState` (walletState.ts), so the screens never import the SDK themselves.
import {
  CHAIN, THEME, TonConnectUIProvider, UserRejectsError, useIsConnectionRestored, useTonConnectModal, useTonConnectUI, useTonWallet,
} from '@tonconnect/ui-react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { sameAddress } from './lib/address';
import { api, errorMessage } from './lib/api';
import { lang, t } from './lib/i18n';
import { WebApp, haptic, inTelegram, useColorScheme } from './lib/telegram';
import type { TxRequest } from './lib/types';
import { useApp } from './state';
import type { WalletState } from './walletState';

const manifestUrl = `${location.origin}/tonconnect-manifest.json`;

/** Only the keys @tonconnect/sdk accepts (it rejects extra ones), validUntil as a number. */
export function cleanTx(tx: TxRequest): TxRequest {
  return {
    validUntil: Number(tx.validUntil),
    ...(tx.network ? { network: String(tx.network) } : {}),
    ...(tx.from ? { from: tx.from } : {}),
    messages: tx.messages.map((m) => ({
      address: m.address,
      amount: String(m.amount),
      ...(m.payload ? { payload: m.payload } : {}),
      ...(m.stateInit ? { stateInit: m.stateInit } : {}),
    })),
  };
}

export interface BridgeProps {
  onState: (s: WalletState) => void;
  /** A connect was asked for before the SDK was here: run it once the session is restored. */
  connectRequested: boolean;
  onConnectStarted: () => void;
}

/** The TON Connect provider and the wallet logic, publishing their state to the screens. */
export default function WalletBridge(props: BridgeProps) {
  const { me } = useApp();
  const scheme = useColorScheme();
  const button = WebApp.themeParams.button_color;
  const buttonText = WebApp.themeParams.button_text_color;
  const colors = button ? { accent: button, connectButton: { background: button, foreground: buttonText || '#fff' } } : {};
  return (
    <TonConnectUIProvider
      manifestUrl={manifestUrl}
      language={lang}
      // No third-party analytics from a payment page (the SDK would send the Telegram user id).
      analytics={{ mode: 'off' }}
      uiPreferences={{
        theme: scheme === 'dark' ? THEME.DARK : THEME.LIGHT,
        borderRadius: 'm',
        colorsSet: { [THEME.LIGHT]: colors, [THEME.DARK]: colors },
      }}
      actionsConfiguration={inTelegram && me.twa_return_url ? { twaReturnUrl: me.twa_return_url as `${string}://${string}` } : undefined}
    >
      <WalletProvider {...props} />
    </TonConnectUIProvider>
  );
}

function expiryMs(v: string | number | undefined): number {
  if (v === undefined || v === null || v === '') return Date.now() + 10 * 60_000;
  if (typeof v === 'number') return v > 1e12 ? v : v * 1000;
  if (/^\d+$/.test(v)) return Number(v) * (v.length > 12 ? 1 : 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? Date.now() + 10 * 60_000 : t;
}

function WalletProvider({ onState, connectRequested, onConnectStarted }: BridgeProps) {
  const { me, setWallet } = useApp();
  const [tonConnectUI] = useTonConnectUI();
  const tcWallet = useTonWallet();
  const restored = useIsConnectionRestored();
  const { state: modalState } = useTonConnectModal();
  const [linking, setLinking] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const payload = useRef<{ value: string; expires: number } | null>(null);
  const payloadReq = useRef<Promise<void> | null>(null);
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const loadPayload = useCallback((): Promise<void> => {
    if (payloadReq.current) return payloadReq.current;
    tonConnectUI.setConnectRequestParameters({ state: 'loading' });
    const p = api
      .walletPayload()
      .then((r) => {
        const expires = expiryMs(r.expires_at);
        payload.current = { value: r.payload, expires };
        tonConnectUI.setConnectRequestParameters({ state: 'ready', value: { tonProof: r.payload } });
        clearTimeout(refreshTimer.current);
        // Renew a minute before it expires, so a wallet never signs a stale payload.
        const wait = Math.max(30_000, expires - Date.now() - 60_000);
        refreshTimer.current = setTimeout(() => {
          payload.current = null;
          if (!tonConnectUI.connected) void loadPayload().catch(() => {});
        }, wait);
      })
      .finally(() => {
        payloadReq.current = null;
      });
    payloadReq.current = p;
    return p;
  }, [tonConnectUI]);

  useEffect(() => () => clearTimeout(refreshTimer.current), []);

  // Ask only for a wallet on the server's network.
  useEffect(() => {
    if (!restored || tonConnectUI.connected) return;
    try {
      tonConnectUI.setConnectionNetwork(me.network === 'mainnet' ? CHAIN.MAINNET : CHAIN.TESTNET);
    } catch {
      /* connected meanwhile */
    }
  }, [restored, tcWallet, me.network, tonConnectUI]);

  // Have a fresh payload ready whenever no wallet is connected.
  useEffect(() => {
    if (!restored || tcWallet) return;
    if (!payload.current || payload.current.expires < Date.now() + 60_000) {
      loadPayload().catch(() => {});
    }
  }, [restored, tcWallet, loadPayload]);

  const meRef = useRef(me);
  meRef.current = me;

  // A fresh connection carries the proof: send it to the server to link the wallet.
  useEffect(() => {
    return tonConnectUI.onStatusChange(
      async (w) => {
        if (!w) return;
        const item = w.connectItems?.tonProof;
        if (!item) return; // restored session: handled below
        payload.current = null; // single use
        if (!('proof' in item)) {
          haptic.error();
          setError(t('wallet_no_proof', { reason: item.error?.message || t('wallet_no_proof_reason') }));
          await tonConnectUI.disconnect().catch(() => {});
          return;
        }
        setLinking(true);
        setError(null);
        try {
          const r = await api.linkWallet(
            {
              address: w.account.address,
              chain: w.account.chain,
              walletStateInit: w.account.walletStateInit,
              publicKey: w.account.publicKey,
            },
            { ...item.proof, state_init: w.account.walletStateInit },
          );
          setWallet(r.wallet);
          haptic.success();
        } catch (e) {
          haptic.error();
          setError(errorMessage(e));
          await tonConnectUI.disconnect().catch(() => {});
        } finally {
          setLinking(false);
        }
      },
      (e) => {
        haptic.error();
        const msg = e?.message ?? '';
        if (/wrong network/i.test(msg)) {
          setError(t('wallet_switch_network', { network: t(meRef.current.network === 'mainnet' ? 'network_mainnet' : 'network_testnet') }));
        } else if (!/reject|cancel/i.test(msg)) {
          setError(lang === 'en' && msg ? msg : t('wallet_connect_failed'));
        }
      },
    );
  }, [tonConnectUI, setWallet]);

  // A restored session (no proof) counts only if it is the wallet the server has linked.
  useEffect(() => {
    if (!restored || !tcWallet || tcWallet.connectItems?.tonProof || linking) return;
    if (!sameAddress(me.wallet?.address ?? me.wallet?.friendly, tcWallet.account.address)) {
      tonConnectUI.disconnect().catch(() => {});
    }
  }, [restored, tcWallet, me.wallet, linking, tonConnectUI]);

  const connect = useCallback(async () => {
    setError(null);
    if (tonConnectUI.connected) await tonConnectUI.disconnect().catch(() => {});
    const fresh = payload.current && payload.current.expires > Date.now() + 30_000;
    const ready = fresh ? Promise.resolve() : loadPayload();
    // Open at once: the modal waits while the parameters are 'loading'.
    await tonConnectUI.openModal();
    try {
      await ready;
    } catch (e) {
      tonConnectUI.closeModal();
      setError(errorMessage(e));
    }
  }, [tonConnectUI, loadPayload]);

  const disconnect = useCallback(async () => {
    setError(null);
    try {
      await api.unlinkWallet();
      setWallet(null);
      haptic.tap();
    } catch (e) {
      setError(errorMessage(e));
      return;
    }
    if (tonConnectUI.connected) await tonConnectUI.disconnect().catch(() => {});
  }, [tonConnectUI, setWallet]);

  // A connect asked for while the SDK was loading runs once the earlier session is restored.
  const asked = useRef(false);
  useEffect(() => {
    if (!connectRequested || !restored || asked.current) return;
    asked.current = true;
    onConnectStarted();
    void connect();
  }, [connectRequested, restored, connect, onConnectStarted]);

  const send = useCallback(
    async (tx: TxRequest) => {
      const res = await tonConnectUI.sendTransaction(cleanTx(tx), { modals: ['before'], notifications: ['error'] });
      return { boc: res.boc };
    },
    [tonConnectUI],
  );

  const value = useMemo<WalletState>(
    () => ({
      loaded: restored,
      connected: !!tcWallet,
      linking,
      modalOpen: modalState.status === 'opened',
      error,
      clearError: () => setError(null),
      connect,
      disconnect,
      send,
      isRejection: (e: unknown) => e instanceof UserRejectsError,
    }),
    [restored, tcWallet, linking, modalState.status, error, connect, disconnect, send],
  );
  useEffect(() => onState(value), [value, onState]);
  return null;
}
