// Writes public/icon.png (180x180, the TON Connect manifest icon): a rounded blue tile with a
// white TON-style mark. Run `node tools/icon.mjs` after changing it; the PNG is committed.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const N = 180;
const SS = 4; // supersampling per axis for smooth edges

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
};

const inRoundRect = (x, y, r) => {
  const cx = Math.min(Math.max(x, r), N - r);
  const cy = Math.min(Math.max(y, r), N - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
const distSeg = (px, py, ax, ay, bx, by) => {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
};
// The mark: a downward triangle with a center line.
const A = [50, 56];
const B = [130, 56];
const C = [90, 134];
const M = [90, 56];
const onMark = (x, y) =>
  Math.min(
    distSeg(x, y, ...A, ...B),
    distSeg(x, y, ...B, ...C),
    distSeg(x, y, ...C, ...A),
    distSeg(x, y, ...M, ...C),
  ) <= 6;

const raw = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) {
  raw[y * (N * 4 + 1)] = 0; // filter: none
  for (let x = 0; x < N; x++) {
    let bg = 0;
    let fg = 0;
    for (let sy = 0; sy < SS; sy++)
      for (let sx = 0; sx < SS; sx++) {
        const px = x + (sx + 0.5) / SS;
        const py = y + (sy + 0.5) / SS;
        if (inRoundRect(px, py, 40)) {
          bg++;
          if (onMark(px, py)) fg++;
        }
      }
    const total = SS * SS;
    const a = bg / total;
    const f = bg ? fg / bg : 0;
    // Vertical gradient from #2aa0f0 to #1a73d9, mark in white.
    const t = y / N;
    const r0 = 0x2a + (0x1a - 0x2a) * t;
    const g0 = 0xa0 + (0x73 - 0xa0) * t;
    const b0 = 0xf0 + (0xd9 - 0xf0) * t;
    const o = y * (N * 4 + 1) + 1 + x * 4;
    raw[o] = Math.round(r0 + (255 - r0) * f);
    raw[o + 1] = Math.round(g0 + (255 - g0) * f);
    raw[o + 2] = Math.round(b0 + (255 - b0) * f);
    raw[o + 3] = Math.round(a * 255);
  }
}
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0);
ihdr.writeUInt32BE(N, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(new URL('../public/icon.png', import.meta.url), png);
console.log(`public/icon.png ${png.length} bytes`);
