import { IconCheck, IconClock, IconSpinner, IconX } from './icons';

/** The big icon of an invoice's state: clock, spinner, check or cross. */
export function StatusMark({ status }: { status: string }) {
  if (status === 'paid') {
    return (
      <div className="status-mark paid">
        <IconCheck />
      </div>
    );
  }
  if (status === 'pending' || status === 'created') {
    return <div className="status-mark">{status === 'pending' ? <IconSpinner /> : <IconClock />}</div>;
  }
  return (
    <div className="status-mark bad">
      <IconX />
    </div>
  );
}
