import { resolve } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The platform `npm run dev` talks to (start it with `make demo` or `smecredit serve`).
const platform = process.env.WEB_DEV_PLATFORM ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, "index.html"),
        // The development GraphiQL: the platform serves it at GET /graphql in dev mode only.
        graphiql: resolve(import.meta.dirname, "graphiql/index.html"),
      },
    },
  },
  server: {
    host: "127.0.0.1",
    port: 5173,
    strictPort: true,
    proxy: {
      "/graphql": {
        target: platform,
        ws: true,
        changeOrigin: true,
        configure(proxy) {
          // The platform refuses POSTs from a foreign Origin: present the proxied request
          // as the platform's own origin (the dev server is the only page that uses it).
          proxy.on("proxyReq", (req) => req.setHeader("origin", platform));
          proxy.on("proxyReqWs", (req) => req.setHeader("origin", platform));
        },
      },
      "/healthz": { target: platform, changeOrigin: true },
    },
  },
});
