import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The built dist/ is committed and embedded by webapp.go, so the build must be reproducible:
// content-hashed names only (no timestamps), no source maps, a stable chunk layout.
export default defineConfig({
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      output: {
        // Libraries change less often than the app: a separate chunk stays cached across releases.
        codeSplitting: {
          groups: [
            { name: 'tonconnect', test: /node_modules[\\/]@tonconnect/ },
            { name: 'vendor', test: /node_modules[\\/]/ },
          ],
        },
      },
    },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8787', '/tonconnect-manifest.json': 'http://127.0.0.1:8787' },
  },
});
