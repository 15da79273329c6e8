// Wallet linking with TON Connect and ton_proof: fetch a payload from the API before the
// wallet is asked (connect request parameters 'loading' → 'ready'), then post account + proof
// to /api/wallet, which verifies the signature and links the address to the Telegram user.
import { CHAIN, useIsConnectionRestored, useTonConnectModal, useTonConnectUI, useTonWallet } from '@tonconnect/ui-react';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { sameAddress } from './lib/address';
import { api, errorMessage } from './lib/api';
import { haptic } from './lib/telegram';
import { useApp } from './state';

interface WalletState {
  /** The wallet is connected through TON Connect on this device (can sign). */
  connected: boolean;
  /** Linking is in progress (proof being verified by the server). */
  linking: boolean;
  /** The TON Connect modal is open. */
  modalOpen: boolean;
  error: string | null;
  clearError: () => void;
  connect: () => Promise<void>;
  disconnect: () => Promise<void>;
}

const Ctx = createContext<WalletState | null>(null);

export function useWallet(): WalletState {
  const v = useContext(Ctx);
  if (!v) throw new Error('useWallet outside provider');
  return v;
}

function expiryMs(v: string | number | undefined): number {
  if (v === undefined || v === null || v === '') return Date.now() + 10 * 60_000;
  if (typeof v === 'number') return v > 1e12 ? v : v * 1000;
  if (/^\d+$/.test(v)) return Number(v) * (v.length > 12 ? 1 : 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? Date.now() + 10 * 60_000 : t;
}

export function WalletProvider({ children }: { children: ReactNode }) {
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
          setError(`The wallet did not confirm ownership: ${item.error?.message || 'no proof'}`);
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
          setError(`Switch your wallet to ${meRef.current.network} and connect again.`);
        } else if (!/reject|cancel/i.test(msg)) {
          setError(msg || 'Could not connect the wallet');
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

  const value = useMemo<WalletState>(
    () => ({
      connected: !!tcWallet,
      linking,
      modalOpen: modalState.status === 'opened',
      error,
      clearError: () => setError(null),
      connect,
      disconnect,
    }),
    [tcWallet, linking, modalState.status, error, connect, disconnect],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}
