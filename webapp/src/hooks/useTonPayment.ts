// Paying an invoice through the connected wallet: the server builds the TON Connect request,
// the wallet signs and sends it, the signed BOC is reported so the invoice shows pending at once.
// Shared by the top-up and the merchant invoice screens.
import { UserRejectsError, useTonConnectUI } from '@tonconnect/ui-react';
import { useCallback, useRef, useState } from 'react';
import { errorMessage } from '../lib/api';
import { haptic } from '../lib/telegram';
import type { Invoice, TxRequest } from '../lib/types';
import { useApp } from '../state';
import { useWallet } from '../wallet';

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

export interface PaymentSpec {
  /** The invoice and its wallet request, asked of the server; null stops quietly (the caller said why). */
  prepare: () => Promise<{ id: string; transaction: TxRequest } | null>;
  /** Report the signed BOC for the invoice. */
  report: (id: string, boc: string) => Promise<{ invoice: Invoice }>;
  /** The wallet sent it: the screen now follows the invoice. */
  onSent: (id: string) => void;
}

export function useTonPayment() {
  const { upsertInvoice } = useApp();
  const wallet = useWallet();
  const [tonConnectUI] = useTonConnectUI();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // A payment that went out but whose BOC report failed: it is still found on the chain.
  const [note, setNote] = useState<string | null>(null);
  const busyRef = useRef(false);

  const pay = useCallback(
    async (spec: PaymentSpec) => {
      if (busyRef.current) return;
      setError(null);
      if (!wallet.connected) {
        await wallet.connect();
        return;
      }
      busyRef.current = true;
      setBusy(true);
      try {
        const req = await spec.prepare();
        if (!req) return;
        const res = await tonConnectUI.sendTransaction(cleanTx(req.transaction), {
          modals: ['before'],
          notifications: ['error'],
        });
        haptic.tap();
        spec.onSent(req.id);
        setNote(null);
        try {
          const r = await spec.report(req.id, res.boc);
          upsertInvoice({ ...r.invoice, id: String(r.invoice.id) });
        } catch (e) {
          setNote(`${errorMessage(e)} Your payment will still be found on the chain.`);
        }
      } catch (e) {
        haptic.error();
        if (e instanceof UserRejectsError) setError('Payment cancelled in the wallet. Nothing was sent.');
        else setError(errorMessage(e));
      } finally {
        busyRef.current = false;
        setBusy(false);
      }
    },
    [wallet, tonConnectUI, upsertInvoice],
  );

  return { pay, busy, error, setError, note, setNote };
}
