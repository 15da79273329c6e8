import { t } from '../lib/i18n';
import { IconSpinner } from './icons';

/** A spinner in place of a list being read. */
export function Loading({ testid = 'dash-loading' }: { testid?: string }) {
  return (
    <div className="empty" data-testid={testid}>
      <IconSpinner />
    </div>
  );
}

/** The server's words for what went wrong, with an optional retry. */
export function ErrorNotice({ error, onRetry, testid = 'error' }: { error: string | null; onRetry?: () => void; testid?: string }) {
  if (!error) return null;
  return (
    <div className="notice" data-testid={testid} role="alert">
      {error}
      {onRetry && (
        <button className="btn secondary small" style={{ marginTop: 10 }} onClick={onRetry}>
          {t('try_again')}
        </button>
      )}
    </div>
  );
}

export function Empty({ children, testid }: { children: string; testid?: string }) {
  return (
    <div className="empty" data-testid={testid}>
      {children}
    </div>
  );
}
