"""A throwaway PostgreSQL cluster for the test session (initdb + pg_ctl, as the postgres user).

PostgreSQL refuses to run as root, and CI runs as root, so the cluster belongs to ``postgres``
and lives in a directory that user can reach. ``make test`` installs the server from Debian's
packages when it is missing; a developer can also point ``TESSERA_TEST_POSTGRES_URL`` at a
server of their own.

``start_replicated_pair()`` starts the scaled deployment's database: a primary and a synchronous
streaming standby made from it with ``pg_basebackup -R``, for the failover drill.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import PORT_TAKEN, free_port


def find_pg_bin() -> Path | None:
    """The newest PostgreSQL server binaries directory, if any is installed."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()],
    )
    for candidate in reversed(candidates):
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    return None


@dataclass
class Cluster:
    """A running throwaway cluster."""

    bin_dir: Path
    root: Path
    port: int
    as_postgres_user: bool

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_postgres_user:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    def _start(self, settings: Mapping[str, str]) -> None:
        for _ in range(5):
            options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
            options += "".join(f" -c {name}={value}" for name, value in settings.items())
            try:
                self._run(
                    "pg_ctl", "-D", str(self.data_dir), "-l", str(self.root / "server.log"),
                    "-w", "-o", options, "start",
                )  # fmt: skip
                return
            except subprocess.CalledProcessError:
                if PORT_TAKEN not in self.log_text().lower():
                    raise
                self.port = free_port()  # another process took the port first
        raise RuntimeError("PostgreSQL found no free port")

    def postmaster_pid(self) -> int:
        """The postmaster's PID, from the first line of ``postmaster.pid``."""
        return int((self.data_dir / "postmaster.pid").read_text().split()[0])

    def kill(self) -> None:
        """``kill -9`` the postmaster: the server dies as in a crash, with no shutdown at all.

        Its backends notice the postmaster's death and exit, dropping their connections.
        """
        os.kill(self.postmaster_pid(), signal.SIGKILL)

    def promote(self) -> None:
        """``pg_ctl promote`` a standby and wait until it accepts writes."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-w", "promote")

    def log_text(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        try:
            # A cluster a test killed has no postmaster left to stop.
            self._run(
                "pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop", check=False
            )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def shared_cluster(directory: Path) -> Cluster:
    """The run's cluster: started by the first process (xdist worker) that needs it, found in
    ``directory`` by the others. ``stop_shared_cluster`` stops it at the end of the run."""
    directory.mkdir(parents=True, exist_ok=True)
    info = directory / "pg-cluster.json"
    with (directory / "pg-cluster.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if info.exists():
            fields = json.loads(info.read_text())
            return Cluster(
                bin_dir=Path(fields["bin_dir"]),
                root=Path(fields["root"]),
                port=int(fields["port"]),
                as_postgres_user=bool(fields["as_postgres_user"]),
            )
        cluster = start_cluster()
        fields = {
            "bin_dir": str(cluster.bin_dir),
            "root": str(cluster.root),
            "port": cluster.port,
            "as_postgres_user": cluster.as_postgres_user,
        }
        info.write_text(json.dumps(fields))
        return cluster


def stop_shared_cluster(directory: Path) -> None:
    """Stop the run's cluster, if a test started one."""
    info = directory / "pg-cluster.json"
    if info.exists():
        shared_cluster(directory).stop()
        info.unlink()


# The suite's cluster trades durability for speed: nothing in it must outlive a test session.
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
# Both members of a replicated pair run the same max_connections (a standby refuses to start
# with fewer than its primary).
COMMON_SETTINGS = {"max_connections": "300"}


def _new_cluster(bin_dir: Path | None = None) -> Cluster:
    bin_dir = bin_dir or find_pg_bin()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL server binaries not found under /usr/lib/postgresql; "
            "run `make test` (it installs them) or `apt-get install -y postgresql`"
        )
    as_postgres_user = os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="tessera-pg-"))
    os.chmod(root, 0o755)  # noqa: S103 - the postgres user must reach its cluster directory
    if as_postgres_user:
        shutil.chown(root, "postgres", "postgres")
    return Cluster(bin_dir=bin_dir, root=root, port=free_port(), as_postgres_user=as_postgres_user)


def start_cluster(settings: Mapping[str, str] | None = None) -> Cluster:
    """initdb and start a cluster on a free port of 127.0.0.1 (by default, tuned for speed)."""
    cluster = _new_cluster()
    cluster._run(
        "initdb", "-D", str(cluster.data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8"
    )
    cluster._start({**COMMON_SETTINGS, **(FAST_SETTINGS if settings is None else settings)})
    return cluster


STANDBY_NAME = "tessera_standby"


@dataclass
class ReplicatedPair:
    """A primary and its synchronous standby (which ``kill``/``promote`` may swap)."""

    primary: Cluster
    standby: Cluster

    def url(self, database: str, **query: str) -> str:
        """The multi-host URL: libpq tries each host in turn and keeps the one that writes."""
        params = "&".join(
            [
                f"host=127.0.0.1:{self.primary.port}",
                f"host=127.0.0.1:{self.standby.port}",
                "target_session_attrs=read-write",
                *(f"{name}={value}" for name, value in query.items()),
            ]
        )
        return f"postgresql+psycopg://postgres@/{database}?{params}"

    def stop(self) -> None:
        try:
            self.standby.stop()
        finally:
            self.primary.stop()


def start_replicated_pair(timeout: float = 60.0) -> ReplicatedPair:
    """A primary with a synchronous streaming standby, as the scaled deployment runs them.

    The primary runs with ``synchronous_commit=on`` and names the standby in
    ``synchronous_standby_names``: a COMMIT returns only once the standby has flushed its WAL, so
    every acknowledged transaction survives the primary's loss (promotion replays all the WAL
    the standby flushed). ``remote_apply`` would also wait for the standby to replay it, which
    matters only to reads served by the standby, and Tessera reads from the primary. Both
    settings are given on the command line, not in ``postgresql.auto.conf``, so that
    ``pg_basebackup`` does not copy them: once promoted, the former standby has no standby of its
    own to wait for. fsync stays on in both clusters.
    """
    durable = {"fsync": "on", "full_page_writes": "on"}
    primary = start_cluster(
        {
            **durable,
            "synchronous_commit": "on",
            "synchronous_standby_names": STANDBY_NAME,
        }
    )
    standby = _new_cluster(primary.bin_dir)
    try:
        standby._run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(standby.data_dir),
            "-R",  # standby.signal plus primary_conninfo
            "-X",
            "stream",
            "-c",
            "fast",
        )
        # The walreceiver names itself after cluster_name, which synchronous_standby_names lists.
        standby._start({**COMMON_SETTINGS, **durable, "cluster_name": STANDBY_NAME})
        _wait_for_sync_standby(primary, timeout)
    except BaseException:
        standby.stop()
        primary.stop()
        raise
    return ReplicatedPair(primary=primary, standby=standby)


def _wait_for_sync_standby(primary: Cluster, timeout: float) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(
        f"host=127.0.0.1 port={primary.port} user=postgres dbname=postgres", autocommit=True
    ) as conn:
        while True:
            row = conn.execute(
                "SELECT sync_state FROM pg_stat_replication WHERE application_name = %s",
                (STANDBY_NAME,),
            ).fetchone()
            if row is not None and row[0] == "sync":
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the standby did not become synchronous: {row}")
            time.sleep(0.1)
