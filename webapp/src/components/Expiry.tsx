import { useEffect, useMemo, useState } from 'react';
import { t } from '../lib/i18n';

/** "Expires in m:ss", counting down each second. */
export function Expiry({ at }: { at: string }) {
  const end = useMemo(() => Date.parse(at), [at]);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  if (Number.isNaN(end)) return null;
  const left = Math.max(0, Math.floor((end - now) / 1000));
  const mm = Math.floor(left / 60);
  const ss = String(left % 60).padStart(2, '0');
  return (
    <div className="muted small" style={{ marginTop: 10 }}>
      {t('expires_in', { left: `${mm}:${ss}` })}
    </div>
  );
}
