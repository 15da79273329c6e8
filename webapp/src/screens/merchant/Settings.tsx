import { useState } from 'react';
import { Copy } from '../../components/Copy';
import { ErrorNotice } from '../../components/Feedback';
import { errorMessage } from '../../lib/api';
import type { MerchantApi } from '../../lib/dash';
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
        <div className="card-title">API token</div>
        <p className="muted small" style={{ marginTop: 0 }}>
          Your server calls the merchant API with this token. Rotate it if it may have leaked.
        </p>
        {confirming ? (
          <div className="confirm" data-testid="token-confirm-box">
            <p className="warn small">The current token stops working at once: your server needs the new one.</p>
            <div className="button-row">
              <button className="btn small danger-fill" data-testid="token-rotate-confirm" disabled={busy} onClick={() => void rotate()}>
                {busy ? 'Rotating…' : 'Rotate now'}
              </button>
              <button className="btn small secondary" data-testid="token-rotate-cancel" disabled={busy} onClick={() => setConfirming(false)}>
                Cancel
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
            Rotate API token
          </button>
        )}
      </div>
      <ErrorNotice error={error} testid="token-error" />
      {token && (
        <div className="card secret" data-testid="token-box">
          <div className="label-line">New API token</div>
          <div className="secret-value">
            <span className="address" data-testid="token-value">
              {token}
            </span>
            <Copy text={token} testid="token-copy" />
          </div>
          <p className="warn small">Shown only now. Copy it to your server's settings before leaving this page.</p>
        </div>
      )}
    </>
  );
}
