// The page's words in the user's language: English or Russian, as Telegram reports the user's
// language (initData's language_code: "ru…" → Russian, anything else → English), the same rule
// and the same words as the bot (bot/texts.go). The dictionaries are src/i18n/en.json and ru.json;
// ru must have every key of en (a missing one is a type error below, an extra one fails `npm test`).
//
// Amounts stay exact: a decimal string from the server is regrouped digit by digit with the
// language's separators (taken from Intl), never through a float.
import en from '../i18n/en.json';
import ru from '../i18n/ru.json';
import { WebApp } from './telegram';

export type Key = keyof typeof en;
export type Lang = 'en' | 'ru';

const dictionaries: Record<Lang, Record<Key, string>> = { en, ru };

/** The language for a Telegram language_code (the bot's rule). */
export function langOf(code: string | undefined | null): Lang {
  return (code ?? '').toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

function detect(): Lang {
  try {
    return langOf(WebApp.initDataUnsafe?.user?.language_code);
  } catch {
    return 'en';
  }
}

/** The page's language, fixed for the session (Telegram does not change it under an open app). */
export const lang: Lang = detect();
export const locale = lang === 'ru' ? 'ru-RU' : 'en-US';

export type Vars = Record<string, string | number>;

function fill(s: string, vars?: Vars): string {
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

/** The text of `key` in the page's language, `{name}` placeholders filled from vars. */
export function t(key: Key, vars?: Vars): string {
  return fill(dictionaries[lang][key] ?? dictionaries.en[key] ?? key, vars);
}

/** Whether `key` is in the dictionary (for keys built from server codes and statuses). */
export function has(key: string): key is Key {
  return Object.prototype.hasOwnProperty.call(en, key);
}

type PluralBase<K> = K extends `${infer B}_one` ? B : never;
const plurals = new Intl.PluralRules(locale);

/** A count with its word: tn('n_credits', 3) → "3 credits" / "3 кредита" (keys <base>_one/_few/_many/_other). */
export function tn(base: PluralBase<Key>, n: number, vars?: Vars): string {
  const form = plurals.select(n);
  const key = `${base}_${form}`;
  return t(has(key) ? key : (`${base}_other` as Key), { n: formatNumber(String(n)), ...vars });
}

// Separators of the language, as Intl formats numbers.
const parts = new Intl.NumberFormat(locale).formatToParts(12345.5);
const groupSep = parts.find((p) => p.type === 'group')?.value ?? ',';
const decimalSep = parts.find((p) => p.type === 'decimal')?.value ?? '.';

/**
 * A plain decimal string ("-12345.678", "+1.5", "0") written for the language: "12,345.678" in
 * English, "12 345,678" in Russian. Anything that is not a plain decimal is returned as it is.
 */
export function formatNumber(s: string): string {
  const m = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(s.trim());
  if (!m) return s;
  const [, sign, whole, frac] = m;
  let grouped = whole;
  if (whole.length > 3) {
    grouped = '';
    for (let i = whole.length; i > 0; i -= 3) grouped = whole.slice(Math.max(0, i - 3), i) + (grouped ? groupSep + grouped : '');
  }
  return sign + grouped + (frac ? decimalSep + frac : '');
}

/** The native coin's asset code, as the API answers it now ("GRAM") or did before ("TON"). */
export function isNative(asset: string | null | undefined): boolean {
  const a = (asset ?? '').toUpperCase();
  return a === 'GRAM' || a === 'TON';
}

/** The same asset, with GRAM and TON both naming the native coin (an alias while servers move to GRAM). */
export function sameAsset(a: string | null | undefined, b: string | null | undefined): boolean {
  return a === b || (isNative(a) && isNative(b));
}

/** An asset code as people read it: the native coin is GRAM whichever code the server sent. */
export function assetName(asset: string | null | undefined): string {
  if (!asset) return '';
  return isNative(asset) ? 'GRAM' : asset;
}

/** "1,234.5 GRAM" / "1 234,5 GRAM". */
export function amountText(formatted: string, asset: string | null | undefined): string {
  const name = assetName(asset);
  return name ? `${formatNumber(formatted)} ${name}` : formatNumber(formatted);
}

const dateTime = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
const dateOnly = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short' });
const dateLong = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric' });

export function formatDateTime(t: number): string {
  return dateTime.format(t);
}
export function formatDay(t: number): string {
  return dateOnly.format(t);
}
export function formatDate(t: number): string {
  return dateLong.format(t);
}

/** Why an amount field is refused, in the page's language. */
export function amountError(p: { code: string; decimals: number }, asset: string): string {
  switch (p.code) {
    case 'empty':
      return t('amount_empty');
    case 'format':
      return t('amount_format');
    case 'whole':
      return t('amount_whole', { asset: assetName(asset) });
    case 'decimals':
      return tn('amount_decimals', p.decimals, { asset: assetName(asset) });
    case 'zero':
      return t('amount_zero');
    default:
      return t('amount_large');
  }
}

/**
 * A refusal from the API in the page's language. English pages show the server's own message
 * (English, and often more precise: it names amounts); Russian pages show the dictionary's words
 * for the code, and a general line with the code for one the dictionary does not know.
 */
export function apiErrorText(status: number, code: string, serverMessage: string | undefined): string {
  const key = `err_${code}`;
  if (lang === 'en' && serverMessage) return serverMessage;
  if (has(key)) return t(key);
  if (status === 401) return t('err_unauthorized');
  if (lang === 'en') return t('err_http', { status });
  return t('err_other', { code });
}
