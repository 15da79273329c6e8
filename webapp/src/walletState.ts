// What the screens know of the wallet, without the TON Connect SDK: the SDK (wallet.tsx and
// @tonconnect/ui-react, the largest part of the page) is loaded only when a screen needs it (a
// payment screen, a linked wallet to show connected, or a tap on Connect), so the first screen does
// not wait for it. Until it is there, useWallet() answers `loaded: false` and connect() asks for it.
import { createContext, useContext } from 'react';
import type { TxRequest } from './lib/types';

export interface WalletState {
  /** The SDK is loaded and has restored any earlier connection. */
  loaded: boolean;
  /** The wallet is connected through TON Connect on this device (can sign). */
  connected: boolean;
  /** Linking is in progress (proof being verified by the server), or the SDK is loading for a connect. */
  linking: boolean;
  /** The TON Connect modal is open. */
  modalOpen: boolean;
  error: string | null;
  clearError: () => void;
  connect: () => Promise<void>;
  disconnect: () => Promise<void>;
  /** Ask the connected wallet to sign and send; resolves to the signed BOC. */
  send: (tx: TxRequest) => Promise<{ boc: string }>;
  /** The error is the user declining in the wallet. */
  isRejection: (e: unknown) => boolean;
}

export const WalletCtx = createContext<WalletState | null>(null);

export function useWallet(): WalletState {
  const v = useContext(WalletCtx);
  if (!v) throw new Error('useWallet outside provider');
  return v;
}
