"""One object of each kind that a route takes by id, made through the API in one firm.

A customer (``owner``) holds the customer-side objects (accounts, a transfer, a card, a card
registration and its vault token, a certificate); the firm's admin holds the firm-side ones (a
courier import, a webhook endpoint, an event). ``ids`` maps each path parameter name to the id
of its object, so a route's path can be filled in from its template.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.api import Caller
from tests.support.cards import VISA, VISA_2, register
from tests.support.firms import Tenant

SAMPLE = (
    Path(__file__).parents[1] / "deliveries" / "samples" / "Sample Card Status Info - Pickup.csv"
)
_hooks = itertools.count(1)


@dataclass
class FirmObjects:
    """A firm's objects of every kind, and who holds them."""

    tenant: Tenant
    owner: Caller
    ids: dict[str, str] = field(default_factory=dict)

    def path(self, template: str) -> str:
        """``template`` with each ``{name}`` replaced by the id of that object."""
        return template.format(**self.ids)


def _created(caller: Caller, url: str, body: dict[str, object]) -> dict[str, object]:
    response = caller.post(url, json=body)
    assert response.status_code == 201, f"{url}: {response.text}"
    return dict(response.json())


def make_objects(tenant: Tenant) -> FirmObjects:
    """A customer of ``tenant`` and one object of each kind, made as their holder would."""
    owner = tenant.customer()
    admin = tenant.admin
    objects = FirmObjects(tenant, owner)
    ids = objects.ids
    ids["firm_id"] = tenant.id
    ids["holder_id"] = str(owner.holder_id)
    ids["user_id"] = owner.user_id
    source, target = owner.open_account(), owner.open_account()
    owner.deposit(source, 10_000)
    ids["account_id"] = source
    transfer = _created(
        owner,
        "/v1/transfers",
        {"from_account_id": source, "to_account_id": target, "amount": 100, "currency": "USD"},
    )
    ids["transfer_id"] = str(transfer["id"])
    card = _created(
        owner,
        "/v1/cards",
        {"account_id": source, "type": "virtual", "cardholder_name": "Ada Lovelace"},
    )
    ids["card_id"] = str(card["id"])
    registration = register(owner, VISA)
    ids["registration_id"] = str(registration["id"])
    ids["token"] = str(registration["card"]["token"])  # type: ignore[index]
    # The compatibility path takes the number itself: a card the owner stored there.
    _created(
        owner,
        "/api/v1/credit-card",
        {
            "exp_date": "2030-12-31",
            "holder_name": "Ada Lovelace",
            "card_number": VISA_2,
            "cvv": "737",
        },
    )
    ids["card_number"] = VISA_2
    certificate = _created(owner, "/v1/certificates", {"common_name": "owner.example.com"})
    ids["certificate_id"] = str(certificate["id"])
    with SAMPLE.open("rb") as sample:
        imported = admin.post(
            "/v1/deliveries/imports", files={"file": (SAMPLE.name, sample, "text/csv")}
        )
    assert imported.status_code == 201, imported.text
    ids["import_id"] = str(imported.json()["id"])
    endpoint = _created(
        admin,
        "/v1/webhook-endpoints",
        {"url": f"https://hooks{next(_hooks)}.example.com/tessera", "events": ["*"]},
    )
    ids["endpoint_id"] = str(endpoint["id"])
    events = admin.get("/v1/events")
    assert events.status_code == 200, events.text
    assert events.json()["items"], "the objects made above recorded no event"
    ids["event_id"] = str(events.json()["items"][0]["id"])
    return objects
