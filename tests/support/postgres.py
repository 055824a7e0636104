"""A throwaway PostgreSQL cluster for the test session (initdb + pg_ctl, as the postgres user).

PostgreSQL refuses to run as root, and CI runs as root, so the cluster belongs to ``postgres``
and lives in a directory that user can reach. ``make test`` installs the server from Debian's
packages when it is missing; a developer can also point ``TESSERA_TEST_POSTGRES_URL`` at a
server of their own.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
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

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_postgres_user:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
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


def start_cluster() -> Cluster:
    """initdb and start a cluster on a free port of 127.0.0.1, with fsync off for speed."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL server binaries not found under /usr/lib/postgresql; "
            "run `make test` (it installs them) or `apt-get install -y postgresql`"
        )
    as_postgres_user = os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="tessera-pg-"))
    os.chmod(root, 0o755)  # noqa: S103 - the postgres user must reach its cluster directory
    cluster = Cluster(
        bin_dir=bin_dir, root=root, port=free_port(), as_postgres_user=as_postgres_user
    )
    if as_postgres_user:
        shutil.chown(root, "postgres", "postgres")
    cluster._run("initdb", "-D", str(root / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    for _ in range(5):
        options = (
            f"-p {cluster.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        try:
            cluster._run(
                "pg_ctl", "-D", str(root / "data"), "-l", str(root / "server.log"), "-w",
                "-o", options, "start",
            )  # fmt: skip
            return cluster
        except subprocess.CalledProcessError:
            log = (root / "server.log").read_text(errors="replace")
            if PORT_TAKEN not in log.lower():
                raise
            cluster.port = free_port()  # another process took the port first
    raise RuntimeError("PostgreSQL found no free port")
