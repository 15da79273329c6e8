// Display helpers shared by the screens: times and amounts in the page's language, money as
// "1.5 GRAM", status and kind words as the bot says them.
import { amountText, formatDateTime, formatDay, has, t } from './i18n';
import type { AdminHistoryItem, Money } from './types';

/** "3 Nov, 14:05"; the input itself when it is not a time. */
export function when(s: string | null | undefined): string {
  if (!s) return '';
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? s : formatDateTime(ms);
}

/** "3 Nov" for a "2026-11-03" day (read as UTC, as the server counts days). */
export function dayLabel(day: string): string {
  const ms = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(ms) ? day : formatDay(ms);
}

export function money(m: Money | null | undefined): string {
  return m ? amountText(m.formatted, m.asset) : '—';
}

/** A status in words: "awaiting_approval" → "awaiting approval" / "ждёт одобрения". */
export function statusWords(status: string): string {
  const key = `status_${status}`;
  return has(key) ? t(key) : status.replace(/_/g, ' ');
}

/** A ledger or payment kind in words: "withdrawal_fee" → "withdrawal fee" / "комиссия за вывод". */
export function kindWords(kind: string): string {
  const key = `kind_${kind}`;
  return has(key) ? t(key) : kind.replace(/_/g, ' ');
}

/**
 * A ledger entry's description in the page's language: the service writes its own in English
 * ("withdrawal to UQ…", "package Pro"), which are reworded; anything else (a merchant's words) is
 * shown as it is. No description: the kind.
 */
export function describe(description: string | undefined | null, kind: string): string {
  const d = (description ?? '').trim();
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  if (!d || d === 'top-up' || d === kind) return cap(kindWords(kind));
  // A deposit found on the chain: its transfer is of kind "chain", described by how it matched.
  if (kind === 'chain') return cap(kindWords(d === 'credited' ? 'deposit' : d));
  let m: RegExpExecArray | null;
  if ((m = /^withdrawal to (\S+)$/.exec(d))) return t('desc_withdrawal_to', { to: m[1] });
  if (d === 'withdrawal fee') return cap(kindWords('withdrawal_fee'));
  if (d === 'withdrawal returned') return t('desc_withdrawal_returned');
  if ((m = /^withdrawal ([a-z_]+)$/.exec(d))) return t('desc_withdrawal_status', { status: statusWords(m[1]) });
  if ((m = /^refund of package (.+) \(Stars\)$/.exec(d))) return t('desc_stars_refund_package', { name: m[1] });
  if ((m = /^package (.+) \(Stars\)$/.exec(d))) return t('desc_stars_package', { name: m[1] });
  if ((m = /^package (.+)$/.exec(d))) return t('desc_package', { name: m[1] });
  if (d === 'Stars payment') return cap(kindWords('stars_purchase'));
  if (d === 'Stars refund') return cap(kindWords('stars_refund'));
  if ((m = /^unmatched deposit (assigned|refunded) by an administrator$/.exec(d))) return t(m[1] === 'assigned' ? 'desc_unmatched_assigned' : 'desc_unmatched_refunded');
  return d;
}

export function shortHash(h: string): string {
  return h.length > 14 ? `${h.slice(0, 6)}…${h.slice(-6)}` : h;
}

/** A user-detail history row's amount as Money, whichever shape the server sent. */
export function historyMoney(h: AdminHistoryItem): Money {
  if (typeof h.amount === 'object' && h.amount) return h.amount;
  return { asset: h.asset ?? '', amount: String(h.amount ?? '0'), formatted: h.formatted ?? String(h.amount ?? '0') };
}

/** A person or merchant as the server names them ("Coffee (merchant 3)", "merchant 3"), in the page's words. */
export function whoWords(who: string): string {
  if (who === 'operator (CLI)') return t('operator_cli');
  return who
    .replace(/\(merchant (\d+)\)$/, (_, id: string) => `(${t('merchant_n', { id })})`)
    .replace(/^merchant (\d+)$/, (_, id: string) => t('merchant_n', { id }))
    .replace(/^user (\d+)$/, (_, id: string) => t('user_n', { id }));
}
