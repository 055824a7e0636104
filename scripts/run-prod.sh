#!/usr/bin/env bash
# `make run-prod`: the scaled layout on one machine, against PostgreSQL at DATABASE_URL.
# Brings the schema up to date, then runs the production server (granian, WEB_CONCURRENCY
# workers, default one per core) and one `tessera worker` beside it. SIGTERM or Ctrl-C stops
# both gracefully; if either exits, the other is stopped too. TLS=1 serves HTTPS with the
# certificate of `tessera tls init`.
set -euo pipefail
cd "$(dirname "$0")/.."
TESSERA=${TESSERA:-.venv/bin/tessera}

case "${DATABASE_URL:-}" in
  postgresql://* | postgres://* | postgresql+psycopg://*) ;;
  *)
    echo "make run-prod needs PostgreSQL: set DATABASE_URL=postgresql://user:password@host/db" >&2
    exit 2
    ;;
esac
export RUN_WORKER_IN_PROCESS=false

"$TESSERA" migrate
serve_args=(serve --prod)
if [ -n "${TLS:-}" ]; then serve_args+=(--tls); fi

"$TESSERA" worker &
worker=$!
"$TESSERA" "${serve_args[@]}" &
server=$!

stopping=0
stop() { kill -TERM "$server" "$worker" 2>/dev/null || true; }
trap 'stopping=1; stop' TERM INT
status=0
wait -n "$server" "$worker" || status=$?
if [ "$stopping" = 1 ]; then
  status=0  # asked to stop (both were signalled once, by the trap): the children's codes decide
else
  stop  # one exited on its own: stop the other
fi
wait "$server" || status=$?
wait "$worker" || status=$?
exit "$status"
