#!/usr/bin/env bash
# pip-audit over the locked Python dependencies (uv.lock, every group), against OSV.
# Skips, saying so, when the vulnerability source cannot be reached (checked with a short
# timeout), so that `make test` never fails because the network is down; fails on a finding.
# OSV_URL points it at another OSV-compatible source (a mirror).
set -euo pipefail
cd "$(dirname "$0")/.."

OSV_URL="${OSV_URL:-https://api.osv.dev/v1/query}"
UV="${UV:-.tools/bin/uv}"
BIN="${BIN:-.venv/bin}"

probe='{"package": {"name": "pip", "ecosystem": "PyPI"}, "version": "1.0"}'
if ! curl --silent --fail --max-time 3 -o /dev/null -H 'Content-Type: application/json' \
        -d "$probe" "$OSV_URL"; then
    echo "pip-audit: skipped: the vulnerability source ($OSV_URL) cannot be reached"
    exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$UV" export --frozen --all-groups --no-emit-project --no-hashes --quiet \
    --format requirements-txt -o "$work/requirements.txt"
status=0
timeout 120 "$BIN/pip-audit" --requirement "$work/requirements.txt" --no-deps --disable-pip \
    --vulnerability-service osv --osv-url "$OSV_URL" --timeout 10 --progress-spinner off \
    --format json --output "$work/report.json" 2>"$work/stderr" || status=$?
if [ ! -s "$work/report.json" ]; then
    # No report at all: the source went away mid-run, which is not a finding.
    echo "pip-audit: skipped: no answer from $OSV_URL ($(tail -n 1 "$work/stderr"))"
    exit 0
fi
"$BIN/python" - "$work/report.json" "$status" <<'PY'
import json
import sys

report = json.load(open(sys.argv[1]))
found = [(d["name"], d["version"], v["id"]) for d in report["dependencies"] for v in d.get("vulns", [])]
for name, version, vuln in found:
    print(f"pip-audit: {name} {version}: {vuln}")
if found or sys.argv[2] != "0":
    print(f"pip-audit: {len(found)} known vulnerabilities in the locked dependencies")
    sys.exit(1)
print(f"pip-audit: no known vulnerabilities in {len(report['dependencies'])} locked packages")
PY
