"""Certificates: issuance per second (EC P-256, RSA-2048) and GET /v1/certificates/{id} per second.

Three measurements, printed as one table:

1. the primitives alone (key generation plus signing, no database);
2. issuance through the service (sign_new + record, committed to the database), one thread;
3. the real HTTP API: a uvicorn subprocess on 127.0.0.1 driven by ``wrk`` (``apt-get install
   wrk``; a Python thread pool stands in when it is missing): POST /v1/certificates for each
   key type, then GET /v1/certificates/{id} with latency percentiles, with 1 and 2 workers,
   next to GET /v1/auth/me (same authentication, no certificate) as the baseline to compare.

Everything is bounded in time; the server is stopped by its PID. SQLite in a temporary
directory by default; set BENCH_DATABASE_URL to a PostgreSQL URL to measure that instead.

    .venv/bin/python bench/certificates.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from tessera import migrations
from tessera.auth.service import create_staff_user
from tessera.certificates import authority, issuance
from tessera.config import AppEnv, Settings
from tessera.crypto import pki
from tessera.models import DEFAULT_FIRM_ID, Role
from tessera.principal import ROLE_SCOPES, Principal
from tessera.runtime import Runtime, build_runtime

JWT_SECRET = "bench-jwt-secret-0123456789-abcdefghijklmnopqrstuv"
MASTER_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
PASSWORD = "bench password 123"
ROOT = Path(__file__).resolve().parents[1]
TESSERA = ROOT / ".venv" / "bin" / "tessera"


@dataclass
class Row:
    what: str
    rate: float
    unit: str
    p50_ms: float | None = None
    p99_ms: float | None = None
    note: str = ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed_loop(seconds: float, action: Callable[[], object]) -> tuple[float, list[float]]:
    """Run ``action`` repeatedly for ``seconds``; return (per second, latencies in ms)."""
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        action()
        latencies.append((time.perf_counter() - t0) * 1000)
    return len(latencies) / (time.perf_counter() - started), latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- in process ---------------------------------------------------------------------------------


def bench_primitives(runtime: Runtime, seconds: float) -> list[Row]:
    with runtime.db.session_scope() as session:
        _, issuer = authority.issuing_authority(
            session, runtime.keyring, firm_id=DEFAULT_FIRM_ID, now=runtime.now()
        )
    rows = []
    for algorithm in (pki.KeyAlgorithm.EC_P256, pki.KeyAlgorithm.RSA_2048):

        def once(alg: pki.KeyAlgorithm = algorithm) -> None:
            key = pki.generate_private_key(alg)
            pki.issue_certificate(
                issuer=issuer,
                public_key=key.public_key(),
                common_name="bench.example.com",
                subject_alt_names=[],
                not_before=datetime.now(UTC),
                validity_days=90,
            )

        rate, lat = timed_loop(seconds, once)
        rows.append(
            Row(f"keygen + sign, {algorithm.value} (no DB)", rate, "certs/s",
                statistics.median(lat), percentile(lat, 0.99))
        )  # fmt: skip
    return rows


def bench_service(runtime: Runtime, principal: Principal, seconds: float) -> list[Row]:
    rows = []
    for algorithm in (pki.KeyAlgorithm.EC_P256, pki.KeyAlgorithm.RSA_2048):
        request = issuance.IssueRequest(common_name="bench.example.com", key_algorithm=algorithm)

        def once(req: issuance.IssueRequest = request) -> None:
            with runtime.db.session_scope() as session:
                now = runtime.now()
                signed = issuance.sign_new(
                    session, runtime.keyring, principal=principal, request=req, now=now
                )
                issuance.record(session, principal=principal, signed=signed, now=now)

        rate, lat = timed_loop(seconds, once)
        rows.append(
            Row(f"issue via service, {algorithm.value} (1 thread, committed)", rate, "certs/s",
                statistics.median(lat), percentile(lat, 0.99))
        )  # fmt: skip
    return rows


# --- over HTTP ----------------------------------------------------------------------------------


class Server:
    """``tessera serve`` in a subprocess on 127.0.0.1, stopped by PID."""

    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(TESSERA), "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(workers)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError("server exited:\n" + self.log.read().decode()[-2000:])
            try:
                if httpx.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not answer /v1/health within 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


def login(url: str, email: str) -> str:
    response = httpx.post(url + "/v1/auth/login", json={"email": email, "password": PASSWORD})
    response.raise_for_status()
    return str(response.json()["access_token"])


_WRK_LINE = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(
    url: str, token: str, *, seconds: float, connections: int, threads: int, body: str | None
) -> tuple[float, float, float, str]:
    """(requests/s, p50 ms, p99 ms, note) from wrk --latency."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
        if body is not None:
            script.write('wrk.method = "POST"\n')
            script.write('wrk.headers["Content-Type"] = "application/json"\n')
            script.write(f"wrk.body = {json.dumps(body)}\n")
    try:
        result = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{int(seconds)}s", "--latency",
             "-s", script.name, url],
            capture_output=True, text=True, timeout=seconds + 60, check=True,
        )  # fmt: skip
    finally:
        os.unlink(script.name)
    out = result.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    marks = {m.group(1): _ms(m.group(2), m.group(3)) for m in _WRK_LINE.finditer(out)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    note = f"{errors.group(1)} non-2xx!" if errors else ""
    if socket_errors:
        note += f" socket errors: {socket_errors.group(1)}"
    return rate, marks["50"], marks["99"], note


def run_threads(
    url: str, token: str, *, seconds: float, connections: int, body: str | None
) -> tuple[float, float, float, str]:
    """The same measurement with a pool of Python threads, when wrk is missing."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def work() -> None:
        nonlocal failures
        with httpx.Client(headers=headers, timeout=30) as client:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                r = client.post(url, content=body) if body else client.get(url)
                with lock:
                    latencies.append((time.perf_counter() - t0) * 1000)
                    failures += r.status_code >= 300

    started = time.perf_counter()
    pool = [threading.Thread(target=work) for _ in range(connections)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=seconds + 60)
    rate = len(latencies) / (time.perf_counter() - started)
    note = "python threads" + (f", {failures} non-2xx!" if failures else "")
    return rate, statistics.median(latencies), percentile(latencies, 0.99), note


def load(url: str, token: str, **kwargs: Any) -> tuple[float, float, float, str]:
    if shutil.which("wrk"):
        return run_wrk(url, token, threads=2, **kwargs)
    return run_threads(url, token, **kwargs)


def bench_http(env: dict[str, str], email: str, seconds: float) -> list[Row]:
    rows = []
    for workers in (1, 2):
        server = Server(env, workers)
        try:
            token = login(server.url, email)
            created = httpx.post(
                server.url + "/v1/certificates",
                json={"common_name": "read.example.com"},
                headers={"Authorization": f"Bearer {token}"},
            )
            created.raise_for_status()
            cert_url = f"{server.url}/v1/certificates/{created.json()['id']}"
            if workers == 1:
                for algorithm, connections in (("ec-p256", 8), ("rsa-2048", 8)):
                    body = json.dumps(
                        {"common_name": "bench.example.com", "key_algorithm": algorithm}
                    )
                    rate, p50, p99, note = load(
                        server.url + "/v1/certificates", token,
                        seconds=max(3.0, seconds / 2), connections=connections, body=body,
                    )  # fmt: skip
                    rows.append(
                        Row(f"POST /v1/certificates {algorithm} (1 worker, c={connections})",
                            rate, "req/s", p50, p99, note)
                    )  # fmt: skip
            plural = "s" * (workers > 1)
            # The baseline: the same authentication and one ORM lookup of the caller, nothing
            # else. What GET /v1/certificates/{id} costs beyond it is the feature's own.
            for label, target in (
                (f"GET /v1/auth/me, baseline ({workers} worker{plural}, c=64)", "/v1/auth/me"),
                (f"GET /v1/certificates/{{id}} ({workers} worker{plural}, c=64)", cert_url),
            ):
                url = target if target.startswith("http") else server.url + target
                rate, p50, p99, note = load(url, token, seconds=seconds, connections=64, body=None)
                rows.append(Row(label, rate, "req/s", p50, p99, note))
        finally:
            server.stop()
    return rows


def print_table(rows: list[Row], context: str) -> None:
    print(f"\nCertificates benchmark ({context})\n")
    header = f"{'what':<62} {'rate':>10} {'unit':<8} {'p50 ms':>8} {'p99 ms':>8}  note"
    print(header)
    print("-" * len(header))
    for r in rows:
        p50 = f"{r.p50_ms:8.2f}" if r.p50_ms is not None else " " * 8
        p99 = f"{r.p99_ms:8.2f}" if r.p99_ms is not None else " " * 8
        print(f"{r.what:<62} {r.rate:>10.1f} {r.unit:<8} {p50} {p99}  {r.note}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each HTTP run")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tessera-bench-certs-"))
    database_url = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{workdir / 'bench.db'}")
    env = {
        **os.environ,
        "APP_ENV": "dev",
        "DATABASE_URL": database_url,
        "JWT_SECRET": JWT_SECRET,
        "TESSERA_MASTER_KEY": MASTER_KEY,
        "VAR_DIR": str(workdir / "var"),
        "RUN_WORKER_IN_PROCESS": "false",
        "LOG_LEVEL": "WARNING",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        "ARGON2_PARALLELISM": "1",
    }
    try:
        migrations.upgrade(database_url)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            app_env=AppEnv.TEST,
            database_url=database_url,
            jwt_secret=SecretStr(JWT_SECRET),
            master_key=SecretStr(MASTER_KEY),
            argon2_time_cost=1,
            argon2_memory_kib=1024,
            argon2_parallelism=1,
            var_dir=workdir / "var",
        )
        runtime = build_runtime(settings)
        email = "bench-staff@example.com"
        with runtime.db.session_scope() as session:
            runtime.keyring.active_version(session)
            authority.ensure_authority(session, runtime.keyring, now=runtime.now())
            user = create_staff_user(
                session, runtime.passwords, email=email, password=PASSWORD,
                firm_id=DEFAULT_FIRM_ID, role=Role.FIRM_ADMIN, now=runtime.now(),
            )  # fmt: skip
            principal = Principal(
                kind="user", id=user.id, firm_id=DEFAULT_FIRM_ID, role=Role.FIRM_ADMIN,
                scopes=ROLE_SCOPES[Role.FIRM_ADMIN],
            )  # fmt: skip
        in_process = max(2.0, args.seconds / 3)
        rows = bench_primitives(runtime, in_process)
        rows += bench_service(runtime, principal, in_process)
        runtime.db.dispose()
        rows += bench_http(env, email, args.seconds)
        backend = "PostgreSQL" if database_url.startswith("postgres") else "SQLite (WAL)"
        tool = "wrk -t2" if shutil.which("wrk") else "Python threads"
        print_table(rows, f"{backend}, {os.cpu_count()} CPUs, load from {tool}, 127.0.0.1")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
