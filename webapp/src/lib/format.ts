// Display helpers shared by the screens: times in the viewer's locale, money as "1.5 TON",
// status words as the user screens show them.
import type { AdminHistoryItem, Money } from './types';

const dateTime = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
const dateOnly = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

/** "3 Nov, 14:05"; the input itself when it is not a time. */
export function when(s: string | null | undefined): string {
  if (!s) return '';
  const t = Date.parse(s);
  return Number.isNaN(t) ? s : dateTime.format(t);
}

/** "3 Nov" for a "2026-11-03" day (read as UTC, as the server counts days). */
export function dayLabel(day: string): string {
  const t = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(t) ? day : dateOnly.format(t);
}

export function money(m: Money | null | undefined): string {
  return m ? `${m.formatted} ${m.asset}` : '—';
}

/** A status as the user screens word it: "awaiting_approval" → "awaiting approval". */
export function statusWords(status: string): string {
  return status.replace(/_/g, ' ');
}

export function shortHash(h: string): string {
  return h.length > 14 ? `${h.slice(0, 6)}…${h.slice(-6)}` : h;
}

/** A user-detail history row's amount as Money, whichever shape the server sent. */
export function historyMoney(h: AdminHistoryItem): Money {
  if (typeof h.amount === 'object' && h.amount) return h.amount;
  return { asset: h.asset ?? '', amount: String(h.amount ?? '0'), formatted: h.formatted ?? String(h.amount ?? '0') };
}
