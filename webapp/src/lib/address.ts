// TON address helpers: enough to compare a TON Connect account ("0:<hex>") with the server's
// linked wallet, and to sanity-check what a person pastes. The server does the real validation.

function b64urlToBytes(s: string): Uint8Array | null {
  try {
    const b = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(b, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

function crc16(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** "0:<64 hex>" for a raw or user-friendly address, or null when it is neither. */
export function toRaw(address: string): string | null {
  const a = address.trim();
  const raw = /^(-?\d+):([0-9a-fA-F]{64})$/.exec(a);
  if (raw) return `${raw[1]}:${raw[2].toLowerCase()}`;
  if (!/^[A-Za-z0-9+/_-]{48}$/.test(a)) return null;
  const bytes = b64urlToBytes(a);
  if (!bytes || bytes.length !== 36) return null;
  const crc = crc16(bytes.subarray(0, 34));
  if (bytes[34] !== crc >> 8 || bytes[35] !== (crc & 0xff)) return null;
  const wc = bytes[1] === 0xff ? -1 : bytes[1];
  const hex = Array.from(bytes.subarray(2, 34), (x) => x.toString(16).padStart(2, '0')).join('');
  return `${wc}:${hex}`;
}

export function sameAddress(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  const ra = toRaw(a);
  const rb = toRaw(b);
  return ra !== null && ra === rb;
}

export function shortAddress(a: string): string {
  return a.length > 16 ? `${a.slice(0, 6)}…${a.slice(-6)}` : a;
}
