// Paying an invoice through the connected wallet: the server builds the TON Connect request,
// the wallet signs and sends it, the signed BOC is reported so the invoice shows pending at once.
// Shared by the top-up and the merchant invoice screens.
import { useCallback, useRef, useState } from 'react';
import { errorMessage } from '../lib/api';
import { t } from '../lib/i18n';
import { haptic } from '../lib/telegram';
import type { Invoice, TxRequest } from '../lib/types';
import { useApp } from '../state';
import { useWallet } from '../walletState';

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
        const res = await wallet.send(req.transaction);
        haptic.tap();
        spec.onSent(req.id);
        setNote(null);
        try {
          const r = await spec.report(req.id, res.boc);
          upsertInvoice({ ...r.invoice, id: String(r.invoice.id) });
        } catch (e) {
          setNote(`${errorMessage(e)} ${t('pay_still_found')}`);
        }
      } catch (e) {
        haptic.error();
        if (wallet.isRejection(e)) setError(t('pay_cancelled_in_wallet'));
        else setError(errorMessage(e));
      } finally {
        busyRef.current = false;
        setBusy(false);
      }
    },
    [wallet, upsertInvoice],
  );

  return { pay, busy, error, setError, note, setNote };
}
