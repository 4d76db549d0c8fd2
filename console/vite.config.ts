import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The api serves the build from dist/console (src/console/operator-console.ts); everything is
// bundled, nothing is loaded from a CDN at run time.
export default defineConfig({
  plugins: [react()],
  build: { outDir: '../dist/console', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
});
