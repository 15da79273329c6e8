import { AuditList } from '../../components/AuditList';
import { ErrorNotice, Loading } from '../../components/Feedback';
import { useResource } from '../../hooks/useResource';
import type { MerchantApi } from '../../lib/dash';

export function MerchantAudit({ api }: { api: MerchantApi }) {
  const r = useResource(() => api.audit(), [api]);
  return (
    <>
      <ErrorNotice error={r.error} onRetry={() => void r.reload()} />
      <div className="card list-card">{r.loading && !r.data ? <Loading /> : r.data && <AuditList entries={r.data.entries ?? []} />}</div>
    </>
  );
}
