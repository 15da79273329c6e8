import { t } from '../lib/i18n';
import { useApp } from '../state';
import { useWallet } from '../walletState';
import { IconSpinner, IconWallet } from './icons';

/** The linked wallet, or an invitation to connect one. */
export function WalletCard() {
  const { me } = useApp();
  const w = useWallet();
  const linked = me.wallet;
  return (
    <div className="card" data-testid="wallet-card">
      <div className="wallet-row">
        <div className="wallet-icon">{w.linking ? <IconSpinner /> : <IconWallet />}</div>
        <div className="wallet-main">
          {linked ? (
            <>
              <div className="wallet-label">
                <span className={`dot${w.connected ? ' on' : ''}`} />
                {w.connected ? t('wallet_connected') : w.loaded ? t('wallet_linked_elsewhere') : t('wallet_linked')}
              </div>
              <div className="address" data-testid="wallet-address" data-address={linked.address}>
                {linked.friendly || linked.address}
              </div>
            </>
          ) : (
            <>
              <div style={{ fontWeight: 600 }}>{w.linking ? t('wallet_checking') : t('wallet_none')}</div>
              <div className="muted small">{t('wallet_invite')}</div>
            </>
          )}
        </div>
      </div>
      {w.error && (
        <div className="notice" style={{ margin: '12px 0 0' }} data-testid="wallet-error" role="alert">
          {w.error}
        </div>
      )}
      <div style={{ display: 'flex', gap: 8, marginTop: 12, justifyContent: 'flex-end' }}>
        {linked && (
          <button className="btn danger" data-testid="disconnect-wallet" onClick={() => void w.disconnect()}>
            {t('disconnect')}
          </button>
        )}
        {(!linked || !w.connected) && (
          <button
            className={`btn ${linked ? 'secondary small' : ''}`}
            data-testid="connect-wallet"
            disabled={w.linking}
            onClick={() => void w.connect()}
          >
            {linked ? t('reconnect') : t('connect_wallet')}
          </button>
        )}
      </div>
    </div>
  );
}
