import { useCallback, useEffect, useState } from 'react';
import { IconIn, IconOut, IconSpinner } from '../components/icons';
import { api, errorMessage } from '../lib/api';
import { describe, kindWords, when } from '../lib/format';
import { amountText, t } from '../lib/i18n';
import { openExternal } from '../lib/telegram';
import type { HistoryItem } from '../lib/types';

// The bot's words for a kind ("deposit" → Top up / пополнение), capitalised as a title.
const kindLabel = (kind: string) => {
  const w = kindWords(kind);
  return w.charAt(0).toUpperCase() + w.slice(1);
};

export function History() {
  const [items, setItems] = useState<HistoryItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(true);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async (from: string | null) => {
    setLoading(true);
    setError(null);
    try {
      const page = await api.history(from);
      setItems((prev) => {
        const seen = new Set(prev.map((i) => String(i.id)));
        return [...prev, ...page.items.filter((i) => !seen.has(String(i.id)))];
      });
      setCursor(page.next_cursor ?? null);
      setHasMore(!!page.next_cursor);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load(null);
  }, [load]);

  return (
    <>
      {error && (
        <div className="notice" data-testid="error" role="alert">
          {error}
        </div>
      )}
      <div className="card" style={{ padding: 0 }}>
        {items.length === 0 && !loading && !error ? (
          <div className="empty" data-testid="history-empty">
            {t('history_empty')}
          </div>
        ) : (
          <ul className="history" data-testid="history-list">
            {items.map((it) => {
              const incoming = !it.amount.startsWith('-');
              return (
                <li className="h-item" key={String(it.id)} data-testid="history-item" data-kind={it.kind}>
                  <div className={`h-icon${incoming ? '' : ' out'}`}>{incoming ? <IconIn /> : <IconOut />}</div>
                  <div className="h-main">
                    <div className="h-title">{describe(it.description, it.kind)}</div>
                    <div className="h-sub">
                      {kindLabel(it.kind)} · {when(it.created_at)}
                    </div>
                  </div>
                  <div className={`h-amount${incoming ? ' in' : ''}`}>
                    {incoming && !it.formatted.startsWith('+') ? '+' : ''}
                    {amountText(it.formatted, it.asset)}
                    {it.link && (
                      <a
                        href={it.link}
                        target="_blank"
                        rel="noopener noreferrer"
                        data-testid="history-link"
                        onClick={(e) => {
                          e.preventDefault();
                          openExternal(it.link!);
                        }}
                      >
                        {t('explorer')} ↗
                      </a>
                    )}
                  </div>
                </li>
              );
            })}
          </ul>
        )}
        {loading && (
          <div className="empty" style={{ padding: 16 }}>
            <IconSpinner />
          </div>
        )}
      </div>
      {hasMore && items.length > 0 && !loading && (
        <button className="btn secondary" data-testid="history-more" onClick={() => void load(cursor)}>
          {t('load_more')}
        </button>
      )}
    </>
  );
}
