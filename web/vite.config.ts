import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The app is served by the Python service at `/` (src/tessera/web.py); `npm run dev` proxies
// the API to a service started with `make run`. VITE_API_BASE_URL points the app at another
// origin at build time (that origin must then allow this one in CORS_ORIGINS).
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    target: "es2022",
  },
  server: {
    host: "127.0.0.1",
    proxy: {
      "/v1": "http://127.0.0.1:8000",
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
