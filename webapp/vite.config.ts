import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
// @ts-expect-error: a plain ES module without types
import { precompress } from './tools/precompress.mjs';

/** Brotli and gzip copies beside every built file (tools/precompress.mjs), served by static.go. */
function precompressed(): Plugin {
  let outDir = 'dist';
  return {
    name: 'tonpay-precompress',
    apply: 'build',
    configResolved(c) {
      outDir = c.build.outDir;
    },
    closeBundle() {
      const rows = precompress(outDir) as { file: string; size: number; br: number | null; gz: number | null }[];
      const sum = (k: 'size' | 'br' | 'gz') => rows.reduce((n, r) => n + (r[k] ?? r.size), 0);
      this.info(`precompressed ${rows.length} files: ${sum('size')} bytes → brotli ${sum('br')}, gzip ${sum('gz')}`);
    },
  };
}

// The built dist/ is committed and embedded by webapp.go, so the build must be reproducible:
// content-hashed names only (no timestamps), no source maps, a stable chunk layout.
export default defineConfig({
  base: './',
  plugins: [react(), precompressed()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      output: {
        // Libraries change less often than the app: separate chunks stay cached across releases.
        // `vendor` is what the first screen needs (React, Telegram's SDK, the QR encoder); every
        // other library is the TON Connect SDK and its dependencies, in `tonconnect`, fetched only
        // with the lazily imported wallet.tsx. The priorities keep React out of `tonconnect`
        // (a group takes its modules' dependencies with it).
        codeSplitting: {
          groups: [
            { name: 'vendor', test: /node_modules[\\/](react|react-dom|scheduler|@twa-dev|uqr)[\\/]/, priority: 2 },
            { name: 'tonconnect', test: /node_modules[\\/]/, priority: 1 },
          ],
        },
      },
    },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8787', '/tonconnect-manifest.json': 'http://127.0.0.1:8787' },
  },
});
