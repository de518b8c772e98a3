import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The SPA is built into web/dist and served by `voronka serve` on the same port as the API.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1200 },
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});
