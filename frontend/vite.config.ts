import { defineConfig } from "vite";
import preact from "@preact/preset-vite";
import { installable } from "./pwa/plugin.ts";

// The SPA is served by the Flask app from dist/; `npm run dev` proxies the API and socket.
const backend = process.env.FAPIAO_BACKEND ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [preact(), installable()],
  server: {
    fs: { allow: [".."] }, // the message catalogs live in backend/i18n
    proxy: {
      "/api": backend,
      "/socket.io": { target: backend, ws: true },
    },
  },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  test: { include: ["tests/**/*.test.ts"], environment: "node" },
});
