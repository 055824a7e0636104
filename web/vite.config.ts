import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import react from "@vitejs/plugin-react";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

// /docs (served by the service) loads Swagger UI from dist/swagger-ui/, copied here from the
// pinned swagger-ui-dist package: no CDN, so the page works offline and no third-party script
// runs on this origin. public/swagger-ui/init.js starts it.
const SWAGGER_UI_FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"];

function swaggerUi(): Plugin {
  return {
    name: "tessera-swagger-ui",
    apply: "build",
    writeBundle(options) {
      const source = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
      const target = join(options.dir ?? "dist", "swagger-ui");
      mkdirSync(target, { recursive: true });
      for (const file of SWAGGER_UI_FILES) {
        copyFileSync(join(source, file), join(target, file));
      }
    },
  };
}

// The app is served by the Python service at `/` (src/tessera/web.py); `npm run dev` proxies
// the API to a service started with `make run`. VITE_API_BASE_URL points the app at another
// origin at build time (that origin must then allow this one in CORS_ORIGINS).
export default defineConfig({
  plugins: [react(), swaggerUi()],
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
