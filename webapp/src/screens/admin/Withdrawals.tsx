import { Empty, ErrorNotice, Loading } from '../../components/Feedback';
import { useResource } from '../../hooks/useResource';
import { admin } from '../../lib/dash';
import { t } from '../../lib/i18n';
import { WithdrawalRow } from './WithdrawalRow';

const REFRESH_MS = 3000;

/** Recent withdrawals, newest first, refreshed every few seconds while the tab is open. */
export function Withdrawals() {
  const r = useResource(() => admin.withdrawals(), [], REFRESH_MS);
  const list = r.data?.withdrawals ?? [];
  return (
    <>
      <ErrorNotice error={r.error} onRetry={() => void r.reload()} />
      <div className="card list-card">
        {r.loading && !r.data ? (
          <Loading />
        ) : list.length === 0 ? (
          <Empty testid="withdrawals-empty">{t('withdrawals_empty')}</Empty>
        ) : (
          <ul className="items">
            {list.map((w) => (
              <WithdrawalRow key={String(w.id)} w={w} testid={`withdrawal-${w.id}`} statusTestid={`withdrawal-status-${w.id}`} />
            ))}
          </ul>
        )}
      </div>
    </>
  );
}
