// Precompressed copies of the built page: for every compressible file in dist/ (HTML, JS, CSS,
// SVG, JSON, text) a brotli `.br` (quality 11, the text mode) and a gzip `.gz` (level 9) beside it,
// written only when smaller than the file. The Go server (miniapp/static.go) sends the smallest one
// the browser accepts. Both encoders are deterministic (gzip with no name and mtime 0), so the
// committed dist/ stays reproducible; nothing is fetched.
//
//   node tools/precompress.mjs [dist]      (run by `npm run build` through vite.config.ts)
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const COMPRESSIBLE = /\.(html|js|mjs|css|svg|json|txt|map|webmanifest)$/;

function* files(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else yield p;
  }
}

/** Writes the .br and .gz copies under dir; returns [{file, size, br, gz}] for a report. */
export function precompress(dir) {
  const out = [];
  for (const p of [...files(dir)]) {
    if (/\.(br|gz)$/.test(p)) continue;
    // Stale copies of a file that changed or went away are rewritten or removed below.
    for (const ext of ['.br', '.gz']) rmSync(p + ext, { force: true });
    if (!COMPRESSIBLE.test(p)) continue;
    const raw = readFileSync(p);
    const br = brotliCompressSync(raw, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
      },
    });
    const gz = gzipSync(raw, { level: 9 });
    const row = { file: p, size: raw.length, br: null, gz: null };
    if (br.length < raw.length) {
      writeFileSync(p + '.br', br);
      row.br = br.length;
    }
    if (gz.length < raw.length) {
      writeFileSync(p + '.gz', gz);
      row.gz = gz.length;
    }
    out.push(row);
  }
  // A .br/.gz whose original is gone (a renamed hashed asset) must not be served.
  for (const p of [...files(dir)]) {
    const m = /^(.*)\.(br|gz)$/.exec(p);
    if (m) {
      try {
        statSync(m[1]);
      } catch {
        rmSync(p);
      }
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of precompress(process.argv[2] || 'dist')) console.log(`${r.file}\t${r.size}\tbr ${r.br ?? '-'}\tgz ${r.gz ?? '-'}`);
}
