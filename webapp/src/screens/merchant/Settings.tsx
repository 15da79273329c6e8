import { useState } from 'react';
import { Copy } from '../../components/Copy';
import { ErrorNotice } from '../../components/Feedback';
import { errorMessage } from '../../lib/api';
import type { MerchantApi } from '../../lib/dash';
import { t } from '../../lib/i18n';
import { haptic } from '../../lib/telegram';

/** The merchant API token: rotated on demand (the old one stops at once), the new one shown once. */
export function Settings({ api }: { api: MerchantApi }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [token, setToken] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const rotate = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await api.rotateToken();
      haptic.success();
      setToken(r.token);
      setConfirming(false);
    } catch (e) {
      haptic.error();
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div className="card">
        <div className="card-title">{t('api_token')}</div>
        <p className="muted small" style={{ marginTop: 0 }}>
          {t('token_about')}
        </p>
        {confirming ? (
          <div className="confirm" data-testid="token-confirm-box">
            <p className="warn small">{t('token_warning')}</p>
            <div className="button-row">
              <button className="btn small danger-fill" data-testid="token-rotate-confirm" disabled={busy} onClick={() => void rotate()}>
                {busy ? t('rotating') : t('rotate_now')}
              </button>
              <button className="btn small secondary" data-testid="token-rotate-cancel" disabled={busy} onClick={() => setConfirming(false)}>
                {t('cancel')}
              </button>
            </div>
          </div>
        ) : (
          <button
            className="btn secondary"
            data-testid="token-rotate"
            onClick={() => {
              haptic.tap();
              setConfirming(true);
              setError(null);
            }}
          >
            {t('rotate_token')}
          </button>
        )}
      </div>
      <ErrorNotice error={error} testid="token-error" />
      {token && (
        <div className="card secret" data-testid="token-box">
          <div className="label-line">{t('new_token')}</div>
          <div className="secret-value">
            <span className="address" data-testid="token-value">
              {token}
            </span>
            <Copy text={token} testid="token-copy" />
          </div>
          <p className="warn small">{t('token_shown_once')}</p>
        </div>
      )}
    </>
  );
}
