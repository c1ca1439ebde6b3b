import path from 'node:path';
import { defineConfig } from 'vite';

const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:4000';

// The console is served by the gateway at / (its own origin, so no CORS); `npm run web:dev`
// serves it with hot reload and forwards the gateway's paths to GATEWAY_URL.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: {
    outDir: path.join(import.meta.dirname, 'dist'),
    emptyOutDir: true,
    // The gateway serves everything in dist; source maps would publish the sources too.
    sourcemap: false,
    // One bundle, loaded once per session: React, Apollo Client and graphql-js are most of it.
    chunkSizeWarningLimit: 1024,
    rolldownOptions: {
      // React Router marks its modules "use client" for server components, which a browser
      // bundle has no use for.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  oxc: { jsx: { runtime: 'automatic' } },
  server: {
    proxy: {
      '/graphql': { target: gateway, ws: true },
      '/dev': { target: gateway },
    },
  },
});
