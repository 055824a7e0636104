#!/usr/bin/env bash
# Install the Debian packages the test suite needs, only when they are missing.
# PostgreSQL: a throwaway cluster is started by the tests themselves (tests/support/postgres.py).
# Chromium: the browser tests drive Debian's build (no browser downloads are possible here).
# Redis: the shared rate-limit storage of the scaled deployment is tested against a real server.
# curl and jq: the README's tour (scripts/tour.sh) runs in the suite against a live server.
# HAProxy: the scaled topology's load balancer (deploy/haproxy.cfg) runs natively in a test.
# docker-compose: parses docker-compose.yml in a test (`docker-compose config`, no engine needed).
set -euo pipefail

missing=()
ls -d /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${missing[*]} (run as root, or: sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi

echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
