"""The leak test: run every card flow, then look for card numbers and CVVs where none may be.

Scanned: every response body except the reveal answers, every log line written meanwhile, the
SQLite database files byte for byte (WAL included) and a logical dump of them, or a ``pg_dump``
of the PostgreSQL test database. The scan is shown to work on the reveal answers, which must
contain the numbers.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tessera.config import Settings
from tests.support.api import Api, Caller
from tests.support.cards import (
    AMEX,
    AMEX_CVV,
    CVV,
    DINERS,
    DISCOVER,
    JCB,
    MAESTRO,
    MASTERCARD,
    MASTERCARD_2,
    UNIONPAY,
    VISA,
    VISA_2,
    card_data_in,
    registration_body,
)
from tests.support.firms import create_tenant
from tests.support.logs import LogView
from tests.support.postgres import find_pg_bin

CVVS = (CVV, AMEX_CVV)


class Recorder:
    """Calls the API and keeps every answer's body, except those of the reveal endpoint."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self.reveals: list[str] = []

    def call(self, caller: Caller, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = caller.request(method, url, **kwargs)
        if url.endswith("/reveal"):
            self.reveals.append(response.text)
        else:
            self.bodies.append(response.text)
        return response


def _run_card_flows(api: Api, rec: Recorder) -> list[str]:
    """Every flow that touches card data; returns the card numbers the flows used."""
    firm = create_tenant(api, issuing_bin="51000000", issuing_bin_end="51000009")
    auto = create_tenant(api, auto_approve_registrations=True)
    operator = firm.staff("firm_operator")
    client = firm.client("cards:read", "cards:write")
    customer = firm.customer()
    planted = [VISA, VISA_2, MASTERCARD, MASTERCARD_2, AMEX, DISCOVER, JCB, DINERS, UNIONPAY]
    planted.append(MAESTRO)

    # Registrations, written in every way people write numbers.
    created = []
    for number, written in (
        (VISA, "4111 1111 1111 1111"),
        (MASTERCARD, "5555-5555-5555-4444"),
        (AMEX, AMEX),
        (DINERS, DINERS),
    ):
        response = rec.call(
            firm.admin,
            "POST",
            "/v1/card-registrations",
            json=registration_body(number, card_number=written),
        )
        assert response.status_code == 201, response.text
        created.append(response.json())
    idem = {"Idempotency-Key": "leak-1"}
    for _ in range(2):
        rec.call(
            firm.admin,
            "POST",
            "/v1/card-registrations",
            json=registration_body(VISA_2),
            headers=idem,
        )
    rec.call(client, "POST", "/v1/card-registrations", json=registration_body(UNIONPAY))
    rec.call(customer, "POST", "/v1/card-registrations", json=registration_body(MAESTRO))
    rec.call(auto.admin, "POST", "/v1/card-registrations", json=registration_body(VISA))

    # Refusals that carry a real number in the request.
    for body in (
        registration_body(VISA),  # duplicate
        registration_body(MASTERCARD_2, cvv="12"),
        registration_body(MASTERCARD_2, expiry_date="01/20"),
        registration_body(MASTERCARD_2, cardholder_name="Al"),
        registration_body(MASTERCARD_2, expiry_date="31/31"),
        registration_body(MASTERCARD_2, surprise=VISA),
        {"card_number": MASTERCARD_2, "cvv": CVV},
    ):
        response = rec.call(firm.admin, "POST", "/v1/card-registrations", json=body)
        assert response.status_code in (409, 422), response.text
    rec.call(
        firm.admin,
        "POST",
        "/v1/card-registrations",
        content=f'{{"card_number": "{MASTERCARD_2}", "cvv": "{CVV}"'.encode(),
        headers={"Content-Type": "application/json"},
    )
    rec.call(
        firm.admin, "POST", "/v1/card-registrations", content=f"card_number={MASTERCARD_2}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip

    # The source documents' paths, including the number in a URL path.
    rec.call(
        firm.admin,
        "POST",
        "/api/v1/credit-card",
        json={
            "exp_date": "2029-05-10",
            "holder_name": "Ada Lovelace",
            "card_number": DISCOVER,
            "cvv": CVV,
        },
    )
    rec.call(
        firm.admin,
        "POST",
        "/api/v1/credit-card",
        json={
            "exp_date": "05/29",
            "holder_name": "Ada Lovelace",
            "card_number": MASTERCARD_2,
            "cvv": CVV,
        },
    )
    for written in (DISCOVER, "6011-1111-1111-1117", MASTERCARD_2):
        rec.call(firm.admin, "GET", f"/api/v1/credit-card/{written}")
    rec.call(firm.admin, "GET", "/api/v1/credit-card")
    registered = rec.call(
        firm.admin,
        "POST",
        "/register",
        json={
            "card_number": JCB,
            "expiry_date": "12/29",
            "cvv": CVV,
            "cardholder_name": "John Doe",
        },
    ).json()
    rec.call(firm.admin, "GET", f"/status/{registered['registration_id']}")

    # Reading, deciding, reporting.
    rec.call(operator, "POST", f"/v1/card-registrations/{created[0]['id']}/approve")
    rec.call(
        operator, "POST", f"/v1/card-registrations/{created[1]['id']}/reject", json={"reason": "r"}
    )
    rec.call(firm.admin, "GET", "/v1/card-registrations")
    rec.call(firm.admin, "GET", "/v1/card-registrations", headers={"Accept": "text/csv"})
    for registration in created:
        rec.call(operator, "GET", f"/v1/card-registrations/{registration['id']}")
        rec.call(operator, "GET", f"/v1/vault/cards/{registration['card']['token']}")
        rec.call(operator, "POST", f"/v1/vault/cards/{registration['card']['token']}/reveal")
        rec.call(firm.admin, "POST", f"/v1/vault/cards/{registration['card']['token']}/reveal")

    # Issued cards: their numbers are learnt from the (unscanned) reveal answers.
    account = customer.open_account("USD")
    for kind in ("virtual", "physical"):
        card = rec.call(
            customer, "POST", "/v1/cards", json={"account_id": account, "type": kind}
        ).json()
        rec.call(customer, "GET", f"/v1/cards/{card['id']}")
        rec.call(firm.admin, "PATCH", f"/v1/cards/{card['id']}", json={"status": "blocked"})
        revealed = rec.call(firm.admin, "POST", f"/v1/vault/cards/{card['token']}/reveal")
        planted.append(revealed.json()["card_number"])
    rec.call(customer, "GET", "/v1/cards")
    rec.call(firm.admin, "GET", "/v1/audit-events", params={"limit": 200})
    metrics = rec.call(firm.admin, "GET", "/metrics")
    assert 'route="/api/v1/credit-card/{card_number}"' in metrics.text
    return planted


def _sqlite_files(settings: Settings) -> tuple[bytes, str]:
    database = Path(make_url(settings.database_url).database or "")
    raw = b"".join(
        p.read_bytes()
        for p in (database, Path(f"{database}-wal"), Path(f"{database}-shm"))
        if p.exists()
    )
    with sqlite3.connect(database) as conn:
        dump = "\n".join(conn.iterdump())
    conn.close()
    return raw, dump


def _pg_dump(settings: Settings) -> str:
    bin_dir = find_pg_bin()
    if bin_dir is None:  # pragma: no cover - the PostgreSQL tests need the binaries anyway
        pytest.fail("pg_dump not found")
    url = make_url(settings.database_url).set(drivername="postgresql")
    result = subprocess.run(
        [str(bin_dir / "pg_dump"), "--no-owner", url.render_as_string(hide_password=False)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


class TestNoCardDataLeaks:
    def test_no_card_number_or_cvv_outside_the_reveal_endpoint(
        self, api: Api, settings: Settings, backend: str, logs: LogView
    ) -> None:
        rec = Recorder()
        planted = tuple(_run_card_flows(api, rec))
        assert len(planted) == 12

        # The scanner works: the reveal answers do hold numbers.
        assert card_data_in("\n".join(rec.reveals), numbers=planted)

        assert len(rec.bodies) > 40
        for body in rec.bodies:
            assert card_data_in(body, numbers=planted, cvvs=CVVS) == [], body

        assert len(logs.lines) > 50
        for line in logs.lines:
            assert card_data_in(line, numbers=planted, cvvs=CVVS) == [], line

        if backend == "sqlite":
            raw, dump = _sqlite_files(settings)
            text = raw.decode("latin-1")
            assert "vault_cards" in text
            assert card_data_in(text, numbers=planted) == []
        else:
            dump = _pg_dump(settings)
        assert "CREATE TABLE" in dump
        assert "vault_cards" in dump
        assert card_data_in(dump, numbers=planted, cvvs=CVVS) == []
        # Nothing is kept under a CVV's name either: no column, no stored JSON key, and no
        # "cvv" as a word of its own anywhere in the dump. (Inside random ids and ciphertexts
        # the letters turn up now and then; there they are part of a longer token.)
        engine = sa.create_engine(settings.database_url)
        try:
            inspector = sa.inspect(engine)
            columns = [
                f"{table}.{column['name']}"
                for table in inspector.get_table_names()
                for column in inspector.get_columns(table)
            ]
        finally:
            engine.dispose()
        assert "vault_cards.last4" in columns
        assert [c for c in columns if "cvv" in c.lower() or "cvc" in c.lower()] == []
        assert re.search(r'"(cvv|cvc|cvv2|security_code)"', dump, re.IGNORECASE) is None
        token = r"[A-Za-z0-9_+/=-]"  # what ids, tokens and base64 are made of
        assert re.search(rf"(?<!{token})cvv(?!{token})", dump, re.IGNORECASE) is None
