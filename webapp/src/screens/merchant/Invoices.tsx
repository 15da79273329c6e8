import { useCallback, useEffect, useRef, useState } from 'react';
import { Empty, ErrorNotice, Loading } from '../../components/Feedback';
import { IconSpinner } from '../../components/icons';
import { StatusPill } from '../../components/StatusPill';
import { errorMessage } from '../../lib/api';
import type { InvoiceFilter, MerchantApi } from '../../lib/dash';
import { statusWords, when } from '../../lib/format';
import { amountText, t } from '../../lib/i18n';
import type { MerchantInvoice } from '../../lib/types';
import { useInnerBack } from '../../state';
import { InvoiceDetailView } from './InvoiceDetail';

const REFRESH_MS = 3000;
const STATUSES = ['created', 'pending', 'paid', 'expired', 'error'];

/**
 * The merchant's invoices, newest first, filtered by status and dates and paged by cursor. The
 * first page is read again every few seconds so a payment shows up while the owner watches.
 */
export function Invoices({ api }: { api: MerchantApi }) {
  const [filter, setFilter] = useState<InvoiceFilter>({});
  const [items, setItems] = useState<MerchantInvoice[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  useInnerBack(open ? () => setOpen(null) : null);
  // Answers for an older filter are dropped.
  const gen = useRef(0);

  const first = useCallback(
    async (quiet: boolean) => {
      const g = gen.current;
      if (!quiet) setLoading(true);
      try {
        const page = await api.invoices(filter, null);
        if (g !== gen.current) return;
        setError(null);
        if (!quiet) {
          setItems(page.invoices ?? []);
          setCursor(page.next_cursor ?? null);
          return;
        }
        // A refresh: update the rows it has, put new ones on top, keep later pages.
        setItems((old) => {
          if (!old) return page.invoices ?? [];
          const fresh = new Map((page.invoices ?? []).map((i) => [i.id, i]));
          const added = (page.invoices ?? []).filter((i) => !old.some((o) => o.id === i.id));
          return [...added, ...old.map((o) => fresh.get(o.id) ?? o)];
        });
      } catch (e) {
        if (g === gen.current) setError(errorMessage(e));
      } finally {
        if (g === gen.current && !quiet) setLoading(false);
      }
    },
    [api, filter],
  );

  useEffect(() => {
    gen.current++;
    setItems(null);
    setCursor(null);
    void first(false);
  }, [first]);

  useEffect(() => {
    if (open) return; // the detail refreshes itself
    const t = setInterval(() => {
      if (document.visibilityState !== 'hidden') void first(true);
    }, REFRESH_MS);
    return () => clearInterval(t);
  }, [first, open]);

  const more = async () => {
    if (!cursor) return;
    const g = gen.current;
    setLoading(true);
    try {
      const page = await api.invoices(filter, cursor);
      if (g !== gen.current) return;
      setItems((old) => {
        const have = new Set((old ?? []).map((i) => i.id));
        return [...(old ?? []), ...(page.invoices ?? []).filter((i) => !have.has(i.id))];
      });
      setCursor(page.next_cursor ?? null);
      setError(null);
    } catch (e) {
      if (g === gen.current) setError(errorMessage(e));
    } finally {
      if (g === gen.current) setLoading(false);
    }
  };

  if (open) {
    return (
      <InvoiceDetailView
        api={api}
        id={open}
        onInvoice={(inv) => setItems((old) => old?.map((o) => (o.id === inv.id ? inv : o)) ?? old)}
      />
    );
  }

  const bad = filter.from && filter.to && filter.from > filter.to;
  return (
    <>
      <div className="card filters">
        <div className="field">
          <label className="label" htmlFor="invoice-filter-status">
            {t('status')}
          </label>
          <select
            id="invoice-filter-status"
            className="select"
            data-testid="invoice-filter-status"
            value={filter.status ?? ''}
            onChange={(e) => setFilter((f) => ({ ...f, status: e.target.value || undefined }))}
          >
            <option value="">{t('any_status')}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusWords(s)}
              </option>
            ))}
          </select>
        </div>
        <div className="date-range">
          <div className="field">
            <label className="label" htmlFor="invoice-filter-from">
              {t('date_from')}
            </label>
            <input
              id="invoice-filter-from"
              type="date"
              className="input"
              data-testid="invoice-filter-from"
              value={filter.from ?? ''}
              max={filter.to || undefined}
              onChange={(e) => setFilter((f) => ({ ...f, from: e.target.value || undefined }))}
            />
          </div>
          <div className="field">
            <label className="label" htmlFor="invoice-filter-to">
              {t('date_to')}
            </label>
            <input
              id="invoice-filter-to"
              type="date"
              className="input"
              data-testid="invoice-filter-to"
              value={filter.to ?? ''}
              min={filter.from || undefined}
              onChange={(e) => setFilter((f) => ({ ...f, to: e.target.value || undefined }))}
            />
          </div>
        </div>
        {bad && <div className="field-error">{t('dates_reversed')}</div>}
        {(filter.status || filter.from || filter.to) && (
          <button className="btn plain small" data-testid="invoice-filter-clear" onClick={() => setFilter({})}>
            {t('clear_filters')}
          </button>
        )}
      </div>

      <ErrorNotice error={error} onRetry={() => void first(false)} />
      <div className="card list-card">
        {items === null ? (
          loading && <Loading />
        ) : items.length === 0 ? (
          <Empty testid="invoices-empty">{filter.status || filter.from || filter.to ? t('invoices_no_match') : t('invoices_empty')}</Empty>
        ) : (
          <ul className="items" data-testid="invoice-list">
            {items.map((inv) => (
              <li key={inv.id}>
                <button className="item item-button" data-testid={`invoice-${inv.id}`} onClick={() => setOpen(inv.id)}>
                  <div className="item-top">
                    <span className="item-title">{inv.description || inv.external_id || inv.id}</span>
                    <span className="strong nowrap">
                      {amountText(inv.amount, inv.asset)}
                    </span>
                  </div>
                  <div className="item-top">
                    <span className="item-sub">
                      {when(inv.created_at)}
                      {inv.late ? ` · ${t('late')}` : ''}
                      {inv.duplicate ? ` · ${t('duplicate')}` : ''}
                    </span>
                    <StatusPill status={inv.status} testid={`invoice-status-${inv.id}`} />
                  </div>
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      {cursor && items && items.length > 0 && (
        <button className="btn secondary" data-testid="invoice-more" disabled={loading} onClick={() => void more()}>
          {loading && <IconSpinner />}
          {t('load_more')}
        </button>
      )}
    </>
  );
}
