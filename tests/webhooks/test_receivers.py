"""The webhook receivers of docs/integrators.md, in Python and in Node, run as written against
real signed deliveries from Tessera, and refuse what they must."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest

from tessera.webhooks.signature import signature_header
from tests.support.api import Api, Caller
from tests.support.ports import free_port
from tests.support.webhooks import create_endpoint, deliver_due, deliveries

GUIDE = Path(__file__).parents[2] / "docs" / "integrators.md"
EXAMPLE = re.compile(r"<!-- example: (\S+) -->\n```\w+\n(.*?)```", re.DOTALL)


def guide_examples() -> dict[str, str]:
    """The programs the guide shows, by file name."""
    return dict(EXAMPLE.findall(GUIDE.read_text(encoding="utf-8")))


@dataclass
class RunningReceiver:
    """A receiver program from the guide, listening on 127.0.0.1."""

    url: str
    process: subprocess.Popen[str]

    def stop(self) -> str:
        """Stop it (by its PID) and return what it printed."""
        self.process.terminate()
        try:
            output, _ = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate(timeout=10)
        return output


def start(program: str, tmp_path: Path, secret: str, port: int) -> RunningReceiver:
    source = tmp_path / program
    source.write_text(guide_examples()[program], encoding="utf-8")
    command = [sys.executable, str(source)] if program.endswith(".py") else ["node", str(source)]
    process = subprocess.Popen(
        command,
        env={"PATH": "/usr/bin:/bin", "PORT": str(port), "TESSERA_WEBHOOK_SECRET": secret},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"{program} did not start: {process.communicate()[0]}") from None
            time.sleep(0.05)
    return RunningReceiver(f"http://127.0.0.1:{port}/tessera", process)


PROGRAMS = [
    "webhook_receiver.py",
    pytest.param(
        "webhook_receiver.js",
        marks=pytest.mark.skipif(shutil.which("node") is None, reason="needs Node"),
    ),
]


@pytest.fixture(params=PROGRAMS)
def program(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class TestGuideReceivers:
    def test_the_guide_shows_both_programs(self) -> None:
        assert set(guide_examples()) == {"webhook_receiver.py", "webhook_receiver.js"}

    def test_accepts_real_deliveries_once_each(
        self, program: str, api: Api, admin: Caller, tmp_path: Path
    ) -> None:
        port = free_port()
        endpoint = create_endpoint(admin, f"http://127.0.0.1:{port}/tessera")
        receiver = start(program, tmp_path, endpoint["secret"], port)
        try:
            customer = api.customer()
            account = customer.open_account()
            customer.deposit(account, 10_000)
            assert deliver_due(api.runtime) == 2
            log = deliveries(admin, endpoint["id"])
            # Redelivered: the same event id again, which the receiver handles only once.
            event_id = log[0]["event_id"]
            again = admin.post(f"/v1/events/{event_id}/redeliver", json={})
            assert again.status_code == 202, again.text
            assert deliver_due(api.runtime) == 1
        finally:
            printed = receiver.stop()

        log = deliveries(admin, endpoint["id"])
        assert [(d["status"], d["last_status_code"]) for d in log] == [("succeeded", 204)] * 3
        lines = [line.split() for line in printed.splitlines() if line.startswith("received")]
        assert sorted(lines) == sorted(
            [["received", d["event_type"], d["event_id"]] for d in log if d["trigger"] == "event"]
        )

    def test_refuses_what_tessera_did_not_sign(self, program: str, tmp_path: Path) -> None:
        secret, old_secret = "whsec_current-secret", "whsec_previous-secret"
        receiver = start(program, tmp_path, secret, free_port())
        body = b'{"id": "evt_1", "type": "card.issued", "created_at": "x", "firm": "f", "data": {}}'
        now = int(time.time())

        def send(header: str, content: bytes = body) -> int:
            headers = {"Tessera-Signature": header, "Content-Type": "application/json"}
            return httpx.post(receiver.url, content=content, headers=headers, timeout=5).status_code

        try:
            assert send(signature_header([secret], now, body)) == 204
            # While a secret rotates, either one signs: newest first, then the old one.
            assert send(signature_header([old_secret, secret], now, body)) == 204
            assert (
                send(signature_header([secret], now, body), body.replace(b"evt_1", b"evt_2")) == 400
            )
            assert send(signature_header([old_secret], now, body)) == 400
            assert send(signature_header([secret], now - 3600, body)) == 400
            assert send("v1=" + signature_header([secret], now, body).split("v1=")[1]) == 400
            assert send("") == 400
        finally:
            printed = receiver.stop()
        # The first two carried the same event: it was handled once.
        assert printed.count("received card.issued evt_1") == 1
