// Exact decimal amounts. Money never passes through a float: "1.5" with 9 decimals
// becomes the integer 1500000000n, and back again, by string and BigInt arithmetic only.

export const MAX_UNITS = 9223372036854775807n; // int64 max, the server's limit

/** Why an amount was refused; the page words it in the user's language (amountError in i18n). */
export type ParseErrorCode = 'empty' | 'format' | 'whole' | 'decimals' | 'zero' | 'large';

export type ParseResult =
  | { ok: true; units: bigint; text: string }
  | { ok: false; code: ParseErrorCode; decimals: number; error: string };

/**
 * Parse what a person typed ("1.5", "0,25", " 10 ") into smallest units.
 * Rejects rather than rounds: more fraction digits than the asset has is an error.
 */
export function parseAmount(input: string, decimals: number, symbol = ''): ParseResult {
  const s = input.trim().replace(',', '.');
  const fail = (code: ParseErrorCode, error: string): ParseResult => ({ ok: false, code, decimals, error });
  if (s === '') return fail('empty', 'Enter an amount');
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(s)) {
    return fail('format', 'Use digits and one decimal point, like 1.5');
  }
  const [whole = '', frac = ''] = s.split('.');
  if (frac.length > decimals) {
    if (decimals === 0) return fail('whole', `${symbol || 'This asset'} takes whole numbers only`);
    const places = `${decimals} decimal place${decimals === 1 ? '' : 's'}`;
    return fail('decimals', symbol ? `${symbol} allows at most ${places}` : `At most ${places}`);
  }
  const units = BigInt((whole || '0') + frac.padEnd(decimals, '0'));
  if (units === 0n) return fail('zero', 'Amount must be greater than zero');
  if (units > MAX_UNITS) return fail('large', 'Amount is too large');
  return { ok: true, units, text: formatUnits(units, decimals) };
}

/** Format smallest units as a plain decimal string without trailing zeros ("1500000000", 9 → "1.5"). */
export function formatUnits(units: bigint | string, decimals: number): string {
  let v = typeof units === 'bigint' ? units : BigInt(units);
  const neg = v < 0n;
  if (neg) v = -v;
  const s = v.toString().padStart(decimals + 1, '0');
  const whole = s.slice(0, s.length - decimals) || '0';
  const frac = decimals > 0 ? s.slice(s.length - decimals).replace(/0+$/, '') : '';
  return (neg ? '-' : '') + whole + (frac ? '.' + frac : '');
}

/** Smallest units as BigInt, or 0n when the string is not an integer. */
export function toUnits(s: string | undefined | null): bigint {
  if (!s || !/^-?\d+$/.test(s)) return 0n;
  return BigInt(s);
}
