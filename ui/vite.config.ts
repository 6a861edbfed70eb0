import { defineConfig } from 'vite';

// Built into <build dir>/ui (WAGGLE_UI_OUT), which `waggle serve` reads when it starts.
export default defineConfig({
  base: '/',
  build: {
    outDir: process.env.WAGGLE_UI_OUT ?? '../build/ui',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
});
