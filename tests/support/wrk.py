"""`wrk` (Debian's package) driven from Python, for liveness tests and `make bench`.

Every script gets the same prelude (ids read from a file, a bearer token, a unique
``Idempotency-Key`` per request) and the same ``done`` hook, which prints one JSON line: request
count, latency percentiles and maximum, socket errors, and the count of each status code, plus
how many 503 answers came without ``Retry-After``. Every run has a hard per-request timeout, so
a stalled server shows up as timeouts instead of silence.

Counting each status costs a Lua call per response, which is measurable at thousands of
requests per second: ``count_statuses=False`` (used by ``make bench``) leaves the hook out and
relies on wrk's own count of non-2xx/3xx answers instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PRELUDE = r"""
local threads = {}
local ids = {}
local counter = 0
local tid = 0
statuses = {}
missing_retry_after = 0
setup = function(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
init = function(args)
  tid = tonumber(wrk.thread:get("tid")) or 0
  math.randomseed(os.time() * 1000 + tid)
  local path = os.getenv("WRK_IDS")
  if path then for line in io.lines(path) do ids[#ids + 1] = line end end
  token = os.getenv("WRK_TOKEN") or ""
  run = os.getenv("WRK_RUN") or "0"
end
function pick() return ids[math.random(#ids)] end
function key() counter = counter + 1; return "wrk-" .. run .. "-" .. tid .. "-" .. counter end
function json_headers()
  return {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json",
          ["Idempotency-Key"] = key()}
end
"""

RESPONSE_HOOK = r"""
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 503 and headers["retry-after"] == nil and headers["Retry-After"] == nil then
    missing_retry_after = missing_retry_after + 1
  end
end
"""

DONE = r"""
done = function(summary, latency, requests)
  local parts = {}
  local missing = 0
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, count in pairs(counts) do
      parts[status] = (parts[status] or 0) + count
    end
    missing = missing + thread:get("missing_retry_after")
  end
  local codes = {}
  for status, count in pairs(parts) do codes[#codes + 1] = '"' .. status .. '": ' .. count end
  io.write(string.format(
    '\nWRK {"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, '
    .. '"write_errors": %d, "timeouts": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"missing_retry_after": %d, "non_2xx_3xx": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50),
    latency:percentile(99), latency.max, missing, summary.errors.status, table.concat(codes, ", ")))
end
"""

TRANSFER = r"""
request = function()
  local a = pick()
  local b = pick()
  while b == a do b = pick() end
  local body = '{"from_account_id": "' .. a .. '", "to_account_id": "' .. b
    .. '", "amount": 1, "currency": "USD"}'
  return wrk.format("POST", "/v1/transfers", json_headers(), body)
end
"""


@dataclass
class WrkResult:
    """What one wrk run saw."""

    requests: int
    seconds: float
    statuses: dict[int, int]
    timeouts: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    missing_retry_after: int
    non_2xx_3xx: int = 0
    output: str = field(repr=False, default="")

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def count(self, *codes: int) -> int:
        return sum(self.statuses.get(code, 0) for code in codes)


def wrk_available() -> bool:
    """Whether the wrk binary is installed (``make system-deps`` installs it)."""
    return shutil.which("wrk") is not None


def run_wrk(
    base_url: str,
    script: str,
    *,
    connections: int,
    seconds: float,
    threads: int = 2,
    timeout_seconds: float = 5.0,
    env: Mapping[str, str] | None = None,
    count_statuses: bool = True,
) -> WrkResult:
    """Run ``script`` (a ``request`` function, after the prelude) against ``base_url``.

    Without ``count_statuses`` the result's ``statuses`` stay empty and ``non_2xx_3xx`` is all
    there is to know about answers.
    """
    with tempfile.TemporaryDirectory(prefix="tessera-wrk-") as directory:
        path = Path(directory) / "script.lua"
        hook = RESPONSE_HOOK if count_statuses else ""
        path.write_text(PRELUDE + hook + script + DONE)
        environment = {**os.environ, "WRK_RUN": str(time.time_ns()), **dict(env or {})}
        command = [
            "wrk",
            f"-t{max(1, min(threads, connections))}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            f"{timeout_seconds:g}s",
            "-s",
            str(path),
            base_url,
        ]
        completed = subprocess.run(
            command,
            env=environment,
            capture_output=True,
            text=True,
            timeout=seconds + timeout_seconds + 60,
            check=False,
        )
    output = completed.stdout + completed.stderr
    line = next((x for x in output.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary (exit {completed.returncode}):\n{output}")
    data = json.loads(line[len("WRK ") :])
    return WrkResult(
        requests=int(data["requests"]),
        seconds=data["duration_us"] / 1e6,
        statuses={int(k): int(v) for k, v in data["statuses"].items()},
        timeouts=int(data["timeouts"]),
        socket_errors=int(data["connect_errors"] + data["read_errors"] + data["write_errors"]),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        missing_retry_after=int(data["missing_retry_after"]),
        non_2xx_3xx=int(data["non_2xx_3xx"]),
        output=output,
    )


def ids_file(directory: Path, values: list[str], name: str = "ids.txt") -> Path:
    """Write one id per line for the scripts' ``pick()``."""
    path = directory / name
    path.write_text("\n".join(values) + "\n")
    return path
