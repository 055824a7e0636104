#!/usr/bin/env bash
# Build the browser app into web/dist, reinstalling npm packages only when the lock changed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f web/package.json ]; then
  echo "web/package.json not found; skipping the web build"
  exit 0
fi
cd web
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is not installed; the API runs without the web app (install Node 20+ to build it)" >&2
  exit 0
fi

stamp=node_modules/.package-lock.stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

if [ ! -f dist/index.html ] || [ -n "$(find src public index.html package-lock.json vite.config.* -newer dist/index.html 2>/dev/null | head -1)" ]; then
  npm run build --silent
fi
