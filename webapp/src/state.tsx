// App-wide state: the user (/api/me), balances, invoices and withdrawals as the server last told
// us, kept current by the event stream. Screens read it through useApp().
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, authHeader, errorMessage } from './lib/api';
import { EventStream, type StreamState } from './lib/events';
import { sameAsset } from './lib/i18n';
import { startInvoiceId } from './lib/telegram';
import type { Balance, Invoice, LinkedWallet, Me, Withdrawal } from './lib/types';

export type Screen =
  | { name: 'home' }
  | { name: 'topup'; asset?: string; amount?: string }
  | { name: 'history' }
  | { name: 'withdraw' }
  | { name: 'invoice'; id: string }
  | { name: 'admin' }
  | { name: 'merchant'; id: number };

interface AppState {
  me: Me;
  balances: Balance[];
  setBalances: (b: Balance[]) => void;
  setWallet: (w: LinkedWallet | null) => void;
  refreshMe: () => Promise<void>;
  stream: StreamState;
  invoices: Record<string, Invoice>;
  upsertInvoice: (inv: Invoice) => void;
  withdrawals: Record<string, Withdrawal>;
  upsertWithdrawal: (w: Withdrawal) => void;
  screen: Screen;
  go: (s: Screen) => void;
  back: () => void;
  /** A view inside the screen (a detail) takes Back first; returns the unregister function. */
  registerBack: (onBack: () => void) => () => void;
}

const Ctx = createContext<AppState | null>(null);

export function useApp(): AppState {
  const v = useContext(Ctx);
  if (!v) throw new Error('useApp outside provider');
  return v;
}

// Statuses only move forward: a late `pending` answer must not hide an already seen `paid`.
const invoiceRank: Record<string, number> = { created: 0, pending: 1, paid: 2, expired: 2, error: 2 };
const withdrawalDone = new Set(['confirmed', 'failed', 'refunded', 'rejected']);
const withdrawalRank = (s: string) => (withdrawalDone.has(s) ? 2 : s === 'sent' ? 1 : 0);

export function isInvoiceOpen(inv: Invoice | undefined) {
  return !!inv && (inv.status === 'created' || inv.status === 'pending');
}
export function isWithdrawalOpen(w: Withdrawal | undefined) {
  return !!w && !withdrawalDone.has(w.status);
}

export function AppProvider({ initial, children }: { initial: Me; children: ReactNode }) {
  const [me, setMe] = useState<Me>(initial);
  const [balances, setBalances] = useState<Balance[]>(initial.balances);
  const [stream, setStream] = useState<StreamState>('connecting');
  const [invoices, setInvoices] = useState<Record<string, Invoice>>({});
  const [withdrawals, setWithdrawals] = useState<Record<string, Withdrawal>>({});
  // Opened from a merchant's pay link (start_param inv_<id>): the invoice first, home behind it.
  const [stack, setStack] = useState<Screen[]>(() => {
    const id = startInvoiceId();
    return id ? [{ name: 'home' }, { name: 'invoice', id }] : [{ name: 'home' }];
  });

  const upsertInvoice = useCallback((inv: Invoice) => {
    setInvoices((all) => {
      const old = all[inv.id];
      if (old && (invoiceRank[old.status] ?? 0) > (invoiceRank[inv.status] ?? 0)) return all;
      return { ...all, [inv.id]: inv };
    });
  }, []);
  const upsertWithdrawal = useCallback((w: Withdrawal) => {
    setWithdrawals((all) => {
      const old = all[String(w.id)];
      if (old && withdrawalRank(old.status) > withdrawalRank(w.status)) return all;
      return { ...all, [String(w.id)]: w };
    });
  }, []);

  const refreshMe = useCallback(async () => {
    const m = await api.me();
    setMe(m);
    setBalances(m.balances);
  }, []);

  const setWallet = useCallback((w: LinkedWallet | null) => setMe((m) => ({ ...m, wallet: w })), []);

  // Latest open invoices/withdrawals, read when the stream comes back to catch up once.
  const openRef = useRef({ invoices, withdrawals });
  openRef.current = { invoices, withdrawals };

  useEffect(() => {
    const es = new EventStream('/api/events', authHeader, {
      onEvent(type, data) {
        const d = (data ?? {}) as Record<string, unknown>;
        if (type === 'invoice') {
          const inv = (d.invoice ?? d) as Invoice;
          if (inv && inv.id !== undefined && inv.status) upsertInvoice({ ...inv, id: String(inv.id) });
        } else if (type === 'balance') {
          const b = (d.balances ?? d) as Balance[];
          if (Array.isArray(b)) setBalances(b);
        } else if (type === 'purchase') {
          // A Telegram Stars payment booked: the package screen is listening.
          window.dispatchEvent(new CustomEvent('tonpay:purchase', { detail: d.purchase ?? d }));
        } else if (type === 'subscription') {
          // A Stars subscription changed (canceled, renewal failed, restored): the list is listening.
          window.dispatchEvent(new CustomEvent('tonpay:subscription', { detail: d.subscription ?? d }));
        } else if (type === 'withdrawal') {
          const w = (d.withdrawal ?? d) as Withdrawal;
          if (w && w.id !== undefined && w.status) upsertWithdrawal(w);
        }
      },
      onState(state, { reconnected }) {
        setStream(state);
        if (state === 'open' && reconnected) {
          // Events may have been missed while the stream was down: catch up once, no polling.
          refreshMe().catch(() => {});
          for (const inv of Object.values(openRef.current.invoices)) {
            if (!isInvoiceOpen(inv)) continue;
            // Merchant invoices are read through /api/invoices; top-ups through /api/deposits.
            const read = inv.merchant ? api.invoice(inv.id) : api.deposit(inv.id);
            read.then((r) => upsertInvoice(r.invoice), () => {});
          }
          for (const w of Object.values(openRef.current.withdrawals)) {
            if (isWithdrawalOpen(w)) api.withdrawal(w.id).then((r) => upsertWithdrawal(r.withdrawal), () => {});
          }
        }
      },
    });
    es.start();
    let hiddenAt = 0;
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') hiddenAt = Date.now();
      else es.resume(hiddenAt ? Date.now() - hiddenAt : 0);
    };
    const onOnline = () => es.resume(0);
    document.addEventListener('visibilitychange', onVisibility);
    window.addEventListener('online', onOnline);
    return () => {
      document.removeEventListener('visibilitychange', onVisibility);
      window.removeEventListener('online', onOnline);
      es.stop();
    };
  }, [refreshMe, upsertInvoice, upsertWithdrawal]);

  const go = useCallback((s: Screen) => {
    window.scrollTo(0, 0);
    setStack((st) => (s.name === 'home' ? [{ name: 'home' }] : [...st, s]));
  }, []);
  const inner = useRef<(() => void)[]>([]);
  const back = useCallback(() => {
    window.scrollTo(0, 0);
    const close = inner.current[inner.current.length - 1];
    if (close) close();
    else setStack((st) => (st.length > 1 ? st.slice(0, -1) : st));
  }, []);
  const registerBack = useCallback((onBack: () => void) => {
    inner.current.push(onBack);
    return () => {
      inner.current = inner.current.filter((f) => f !== onBack);
    };
  }, []);

  const value = useMemo<AppState>(
    () => ({
      me,
      balances,
      setBalances,
      setWallet,
      refreshMe,
      stream,
      invoices,
      upsertInvoice,
      withdrawals,
      upsertWithdrawal,
      screen: stack[stack.length - 1],
      go,
      back,
      registerBack,
    }),
    [me, balances, setWallet, refreshMe, stream, invoices, upsertInvoice, withdrawals, upsertWithdrawal, stack, go, back, registerBack],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

/** Balance of one asset as the server formats it, "0" when it has none. */
export function balanceOf(balances: Balance[], asset: string): Balance {
  return balances.find((b) => sameAsset(b.asset, asset)) ?? { asset, amount: '0', formatted: '0' };
}

/** While `onBack` is set (a detail is open), Back (Telegram's or the in-page one) calls it instead of leaving the screen. */
export function useInnerBack(onBack: (() => void) | null) {
  const { registerBack } = useApp();
  const cb = useRef(onBack);
  cb.current = onBack;
  const active = !!onBack;
  useEffect(() => {
    if (!active) return;
    return registerBack(() => cb.current?.());
  }, [active, registerBack]);
}

export function useAsyncError() {
  const [error, setError] = useState<string | null>(null);
  const fail = useCallback((e: unknown) => setError(errorMessage(e)), []);
  return [error, setError, fail] as const;
}
