"""Key rotation under load: a real server keeps registering and revealing cards while
`tessera keys rotate` runs to completion in another process.

Afterwards every card decrypts under the new key version, the client saw no error, and some of
its requests were served while the rotation was running (so the test measures what it claims).
"""

from __future__ import annotations

import random
import subprocess
import threading
import time
from dataclasses import dataclass, field

import httpx2 as httpx
import pytest

from tessera.config import Settings
from tessera.kit.card_numbers import generate_card_number, validate_card_number
from tessera.models import Role
from tessera.runtime import Runtime
from tessera.vault import card_store, rotation
from tests.support.api import PASSWORD, Api
from tests.support.cards import CVV, card_data_in
from tests.support.processes import TESSERA, cli_env, serve

SEEDED = 3000
DEADLINE_SECONDS = 90


@dataclass
class ClientRun:
    """What the load client did and saw."""

    operations: list[tuple[float, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)


def _seed(runtime: Runtime) -> dict[str, str]:
    """Store SEEDED cards of the default firm directly; return their tokens and numbers."""
    seeded: dict[str, str] = {}
    expiry = runtime.now().date().replace(year=runtime.now().year + 2, month=12, day=31)
    with runtime.db.session_scope() as session:
        for _ in range(SEEDED):
            number = generate_card_number("411111")
            card = card_store.store_card(
                session,
                runtime.keyring,
                firm_id="firm_default",
                holder_id=None,
                card=validate_card_number(number),
                expiry=expiry,
                cardholder_name="Seeded Holder",
                source=card_store.SOURCE_REGISTRATION,
                now=runtime.now(),
            )
            seeded[card.token] = number
    return seeded


def _load(
    base_url: str, token: str, seeded: dict[str, str], stop: threading.Event, run: ClientRun
) -> None:
    """Register, read and reveal cards in a loop until told to stop (or the deadline)."""
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(7)
    tokens = list(seeded)
    deadline = time.monotonic() + DEADLINE_SECONDS
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                number = generate_card_number("411111")
                created = client.post(
                    "/v1/card-registrations",
                    json={
                        "card_number": number,
                        "expiry_date": "12/30",
                        "cvv": CVV,
                        "cardholder_name": "Load Client",
                    },
                )
                if created.status_code != 201:
                    run.errors.append(f"register {created.status_code} {created.text}")
                    continue
                run.numbers.append(number)
                registration = created.json()
                fetched = client.get(f"/v1/card-registrations/{registration['id']}")
                if fetched.status_code != 200:
                    run.errors.append(f"get {fetched.status_code} {fetched.text}")
                # The number in a URL path: the server's output is scanned for it afterwards.
                by_number = client.get(f"/api/v1/credit-card/{number}")
                if by_number.status_code != 200 or by_number.json()["id"] != registration["id"]:
                    run.errors.append(f"by number {by_number.status_code} {by_number.text}")
                new_token = registration["card"]["token"]
                old_token = rng.choice(tokens)
                for reveal_token, expected in ((new_token, number), (old_token, seeded[old_token])):
                    revealed = client.post(f"/v1/vault/cards/{reveal_token}/reveal")
                    if revealed.status_code != 200 or revealed.json() != {"card_number": expected}:
                        run.errors.append(f"reveal {revealed.status_code} {revealed.text[:200]}")
                run.operations.append((time.monotonic(), registration["id"]))
            except httpx.HTTPError as exc:
                run.errors.append(f"transport {type(exc).__name__}: {exc}")


@pytest.mark.slow
class TestRotationUnderLoad:
    def test_rotation_completes_while_the_service_serves_without_errors(
        self, api: Api, runtime: Runtime, settings: Settings
    ) -> None:
        seeded = _seed(runtime)
        admin = api.staff(Role.FIRM_ADMIN)
        run = ClientRun()
        stop = threading.Event()
        with serve(settings) as server:
            login = httpx.post(
                f"{server.base_url}/v1/auth/login",
                json={"email": admin.email, "password": PASSWORD},
                timeout=30,
            )
            assert login.status_code == 200, login.text
            client = threading.Thread(
                target=_load,
                args=(server.base_url, login.json()["access_token"], seeded, stop, run),
            )
            client.start()
            try:
                warm_up = time.monotonic() + 30
                while len(run.operations) < 5 and time.monotonic() < warm_up:
                    time.sleep(0.05)
                assert len(run.operations) >= 5, run.errors[:5]
                rotation_started = time.monotonic()
                rotated = subprocess.run(
                    [TESSERA, "keys", "rotate", "--batch-size", "100", "--pause", "0.02"],
                    env=cli_env(settings),
                    cwd=settings.var_dir,
                    capture_output=True,
                    text=True,
                    timeout=DEADLINE_SECONDS,
                    check=False,
                )
                rotation_ended = time.monotonic()
                after = len(run.operations)
                settle = time.monotonic() + 30
                while len(run.operations) < after + 3 and time.monotonic() < settle:
                    time.sleep(0.05)
            finally:
                stop.set()
                client.join(timeout=DEADLINE_SECONDS)
            server_output = server.output()

        assert not client.is_alive()
        assert rotated.returncode == 0, rotated.stderr
        assert "rotation complete" in rotated.stderr
        assert run.errors == []
        during = [t for t, _ in run.operations if rotation_started <= t <= rotation_ended]
        assert len(during) >= 3, (len(during), rotation_ended - rotation_started)

        with runtime.db.session_scope(write=False) as session:
            check = rotation.verify_vault(session, runtime.keyring)
        assert check.ok, check.failures[:5]
        assert check.cards == SEEDED + len(run.operations)
        assert check.by_version == {2: check.cards}

        # The server's own output never held a card number or a CVV.
        planted = (*seeded.values(), *run.numbers)
        # Access lines name the route template, never the path that held the number.
        assert '"route": "/api/v1/credit-card/{card_number}"' in server_output
        assert card_data_in(server_output, numbers=tuple(planted), cvvs=(CVV,)) == []
        rate_line = next(
            line for line in rotated.stderr.splitlines() if line.startswith("rotation complete")
        )
        print(f"\n{rate_line} ({len(during)} client rounds served during the rotation)")
