import { statusWords } from '../lib/format';

/** A status in words, coloured by `data-status` (styles.css), as every screen shows statuses. */
export function StatusPill({ status, testid }: { status: string; testid?: string }) {
  return (
    <span className="status" data-testid={testid} data-status={status}>
      {statusWords(status)}
    </span>
  );
}
