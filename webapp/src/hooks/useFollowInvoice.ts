// Following an open invoice: its updates are pushed over the event stream (state.tsx keeps the
// shared copy); only while the stream is down is it polled. A haptic marks it paid or lapsed.
import { useEffect, useRef } from 'react';
import { haptic } from '../lib/telegram';
import type { Invoice } from '../lib/types';
import { isInvoiceOpen, useApp } from '../state';

const POLL_MS = 3000;

/**
 * `read` fetches the invoice by id (top-ups and merchant invoices are read at different routes);
 * `onPolled` sees each polled copy. Returns whether the fallback polling is on, for a notice.
 */
export function useFollowInvoice(
  invoice: Invoice | undefined,
  read: (id: string) => Promise<{ invoice: Invoice }>,
  onPolled?: (inv: Invoice) => void,
): { polling: boolean } {
  const { stream, upsertInvoice } = useApp();
  const status = invoice?.status;
  const id = invoice?.id;
  const open = isInvoiceOpen(invoice);

  const was = useRef(status);
  useEffect(() => {
    if (status === was.current) return;
    was.current = status;
    if (status === 'paid') haptic.success();
    else if (status === 'expired' || status === 'error') haptic.warning();
  }, [status]);

  const fns = useRef({ read, onPolled });
  fns.current = { read, onPolled };
  const polling = stream === 'down' && open && !!id;
  useEffect(() => {
    if (!polling || !id) return;
    const t = setInterval(() => {
      fns.current.read(id).then(
        (r) => {
          upsertInvoice({ ...r.invoice, id: String(r.invoice.id) });
          fns.current.onPolled?.(r.invoice);
        },
        () => {},
      );
    }, POLL_MS);
    return () => clearInterval(t);
  }, [polling, id, upsertInvoice]);

  return { polling };
}
