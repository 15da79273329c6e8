import { hasMainButton, useMainButton } from '../lib/telegram';
import { IconSpinner } from './icons';

interface Props {
  text: string;
  onClick: () => void;
  busy?: boolean;
  disabled?: boolean;
  /** The in-page button's test id (shown only where Telegram has no MainButton). */
  testid: string;
}

/**
 * A screen's primary action: Telegram's MainButton, or an in-page button outside Telegram.
 * Mount at most one per screen (the MainButton has one owner).
 */
export function PrimaryAction({ text, onClick, busy = false, disabled = false, testid }: Props) {
  useMainButton({ text, onClick, progress: busy, enabled: !disabled });
  if (hasMainButton) return null;
  return (
    <button className="btn" data-testid={testid} disabled={busy || disabled} onClick={onClick}>
      {busy && <IconSpinner />}
      {text}
    </button>
  );
}
