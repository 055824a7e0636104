"""The webhook endpoint API: create (secret once, stored sealed), read, delete, rotate, events,
redelivery, and who may do each."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tessera.models import AuditEvent, Role, WebhookEndpoint
from tessera.runtime import Runtime
from tessera.webhooks.service import MAX_ENDPOINTS_PER_FIRM, signing_secrets
from tests.support.api import Api, Caller
from tests.support.matching import account_created_event
from tests.support.webhooks import create_endpoint

URL = "https://hooks.example.com/tessera"


def other_firm_admin(api: Api) -> Caller:
    firm = api.create_firm()
    return api.staff(Role.FIRM_ADMIN, firm_id=firm.id)


class TestCreateEndpoint:
    def test_answers_201_with_the_secret_once(self, admin: Caller) -> None:
        response = admin.post(
            "/v1/webhook-endpoints",
            json={"url": URL, "events": ["account.created"], "description": "ledger sync"},
        )
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["id"].startswith("whe_")
        assert created["url"] == URL
        assert created["events"] == ["account.created"]
        assert created["description"] == "ledger sync"
        assert created["secret"].startswith("whsec_")
        assert created["created_at"].endswith("Z")
        again = admin.get(f"/v1/webhook-endpoints/{created['id']}").json()
        assert "secret" not in again
        listed = admin.get("/v1/webhook-endpoints").json()
        assert [e["id"] for e in listed["items"]] == [created["id"]]
        assert "secret" not in listed["items"][0]
        assert (listed["total"], listed["limit"], listed["offset"]) == (1, 50, 0)

    def test_stores_the_secret_sealed_by_the_vault(self, admin: Caller, runtime: Runtime) -> None:
        created = create_endpoint(admin, URL)
        with runtime.db.session_scope(write=False) as session:
            row = session.get(WebhookEndpoint, created["id"])
            assert row is not None
            assert created["secret"].encode() not in row.secret_sealed
            assert signing_secrets(session, runtime.keyring, row, now=runtime.now()) == [
                created["secret"]
            ]

    def test_is_audited_without_the_secret(self, admin: Caller, runtime: Runtime) -> None:
        created = create_endpoint(admin, URL)
        with runtime.db.session_scope(write=False) as session:
            entry = session.scalar(
                sa.select(AuditEvent).where(AuditEvent.action == "webhook_endpoint.created")
            )
            assert entry is not None
            assert entry.target_id == created["id"]
            assert entry.actor_id == admin.user_id
            assert created["secret"] not in str(entry.data)

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"url": "ftp://example.com/x", "events": ["*"]}, "url"),
            ({"url": "https://u:p@example.com/x", "events": ["*"]}, "url"),
            ({"url": URL, "events": ["account.opened"]}, "events"),
            ({"url": URL, "events": ["*", "account.created"]}, "events"),
            ({"url": URL, "events": []}, "events"),
            ({"url": URL}, "events"),
        ],
    )
    def test_refuses_invalid_input_with_422(
        self, admin: Caller, body: dict[str, object], field: str
    ) -> None:
        response = admin.post("/v1/webhook-endpoints", json=body)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert [f["field"] for f in error["details"]["fields"]] == [field]
        assert "u:p" not in response.text

    def test_needs_the_webhooks_manage_scope(self, api: Api) -> None:
        operator = api.staff(Role.FIRM_OPERATOR)
        customer = api.customer()
        for caller in (operator, customer):
            response = caller.post("/v1/webhook-endpoints", json={"url": URL, "events": ["*"]})
            assert response.status_code == 403, response.text
            assert response.json()["error"]["details"] == {"scope": "webhooks:manage"}
            assert caller.get("/v1/webhook-endpoints").status_code == 403
        anonymous = api.client.post("/v1/webhook-endpoints", json={"url": URL, "events": ["*"]})
        assert anonymous.status_code == 401

    def test_limits_endpoints_per_firm(self, admin: Caller) -> None:
        for n in range(MAX_ENDPOINTS_PER_FIRM):
            create_endpoint(admin, f"{URL}/{n}")
        response = admin.post("/v1/webhook-endpoints", json={"url": URL, "events": ["*"]})
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "endpoint_limit_reached"


class TestTenancy:
    def test_another_firms_endpoint_is_not_found(self, api: Api, admin: Caller) -> None:
        created = create_endpoint(admin, URL)
        stranger = other_firm_admin(api)
        path = f"/v1/webhook-endpoints/{created['id']}"
        assert stranger.get(path).status_code == 404
        assert stranger.get(f"{path}/deliveries").status_code == 404
        assert stranger.post(f"{path}/rotate-secret").status_code == 404
        assert stranger.delete(path).status_code == 404
        assert stranger.get("/v1/webhook-endpoints").json()["total"] == 0
        assert admin.get(path).status_code == 200

    def test_events_of_another_firm_are_not_found(self, api: Api, admin: Caller) -> None:
        api.customer().open_account()
        event_id = admin.get("/v1/events").json()["items"][0]["id"]
        stranger = other_firm_admin(api)
        assert stranger.get(f"/v1/events/{event_id}").status_code == 404
        assert stranger.post(f"/v1/events/{event_id}/redeliver").status_code == 404
        assert stranger.get("/v1/events").json()["total"] == 0


class TestDeleteEndpoint:
    def test_answers_204_then_the_endpoint_is_gone(self, admin: Caller, runtime: Runtime) -> None:
        created = create_endpoint(admin, URL)
        response = admin.delete(f"/v1/webhook-endpoints/{created['id']}")
        assert response.status_code == 204
        assert response.content == b""
        assert admin.get(f"/v1/webhook-endpoints/{created['id']}").status_code == 404
        assert admin.delete(f"/v1/webhook-endpoints/{created['id']}").status_code == 404
        with runtime.db.session_scope(write=False) as session:
            actions = session.scalars(sa.select(AuditEvent.action)).all()
        assert "webhook_endpoint.deleted" in actions


class TestRotateSecret:
    def test_gives_a_new_secret_and_keeps_the_old_one_for_the_overlap(
        self, admin: Caller, runtime: Runtime
    ) -> None:
        created = create_endpoint(admin, URL)
        response = admin.post(
            f"/v1/webhook-endpoints/{created['id']}/rotate-secret",
            json={"expire_previous_after_seconds": 3600},
        )
        assert response.status_code == 200, response.text
        rotated = response.json()
        assert rotated["secret"].startswith("whsec_")
        assert rotated["secret"] != created["secret"]
        assert rotated["secret_rotated_at"] is not None
        with runtime.db.session_scope(write=False) as session:
            row = session.get(WebhookEndpoint, created["id"])
            assert row is not None
            assert row.previous_secret_expires_at == row.secret_rotated_at + timedelta(hours=1)
            now = runtime.now()
            assert signing_secrets(session, runtime.keyring, row, now=now) == [
                rotated["secret"],
                created["secret"],
            ]
            later = now + timedelta(hours=1, seconds=1)
            assert signing_secrets(session, runtime.keyring, row, now=later) == [rotated["secret"]]

    def test_default_overlap_is_a_day_and_zero_retires_the_old_secret_at_once(
        self, admin: Caller, runtime: Runtime
    ) -> None:
        created = create_endpoint(admin, URL)
        path = f"/v1/webhook-endpoints/{created['id']}/rotate-secret"
        first = admin.post(path).json()
        assert first["previous_secret_expires_at"] is not None
        second = admin.post(path, json={"expire_previous_after_seconds": 0}).json()
        assert second["previous_secret_expires_at"] is None
        with runtime.db.session_scope(write=False) as session:
            row = session.get(WebhookEndpoint, created["id"])
            assert row is not None
            assert signing_secrets(session, runtime.keyring, row, now=runtime.now()) == [
                second["secret"]
            ]

    def test_refuses_an_overlap_over_seven_days(self, admin: Caller) -> None:
        created = create_endpoint(admin, URL)
        response = admin.post(
            f"/v1/webhook-endpoints/{created['id']}/rotate-secret",
            json={"expire_previous_after_seconds": 7 * 86_400 + 1},
        )
        assert response.status_code == 422


class TestEvents:
    def test_lists_the_firms_events_newest_first_with_a_type_filter(
        self, api: Api, admin: Caller
    ) -> None:
        customer = api.customer()
        account = customer.open_account()
        customer.deposit(account, 500)
        everything = admin.get("/v1/events").json()
        assert [e["type"] for e in everything["items"]] == [
            "transaction.created",
            "account.created",
        ]
        only = admin.get("/v1/events", params={"type": "account.created"}).json()
        assert only["total"] == 1
        event = only["items"][0]
        assert event == account_created_event(
            firm=admin.firm_id, account=account, holder_id=customer.holder_id
        )
        assert admin.get(f"/v1/events/{event['id']}").json() == event
        assert admin.get("/v1/events", params={"type": "nope"}).status_code == 422
        assert customer.get("/v1/events").status_code == 403
        assert admin.get("/v1/events/evt_missing").status_code == 404


class TestRedeliverEndpoint:
    def test_answers_202_with_the_queued_deliveries(self, api: Api, admin: Caller) -> None:
        wanted = create_endpoint(admin, URL, ["account.created"])
        create_endpoint(admin, URL + "/other", ["transfer.completed"])
        api.customer().open_account()
        event_id = admin.get("/v1/events").json()["items"][0]["id"]
        response = admin.post(f"/v1/events/{event_id}/redeliver")
        assert response.status_code == 202, response.text
        queued = response.json()
        assert queued["event_id"] == event_id
        assert [d["endpoint_id"] for d in queued["deliveries"]] == [wanted["id"]]
        assert queued["deliveries"][0]["trigger"] == "redelivery"
        assert queued["deliveries"][0]["status"] == "pending"

    def test_to_one_named_endpoint_even_outside_its_filter(self, api: Api, admin: Caller) -> None:
        other = create_endpoint(admin, URL, ["transfer.completed"])
        api.customer().open_account()
        event_id = admin.get("/v1/events").json()["items"][0]["id"]
        response = admin.post(f"/v1/events/{event_id}/redeliver", json={"endpoint_id": other["id"]})
        assert response.status_code == 202
        assert [d["endpoint_id"] for d in response.json()["deliveries"]] == [other["id"]]

    def test_conflicts_without_a_matching_endpoint_and_404s_for_unknown_ones(
        self, api: Api, admin: Caller
    ) -> None:
        api.customer().open_account()
        event_id = admin.get("/v1/events").json()["items"][0]["id"]
        response = admin.post(f"/v1/events/{event_id}/redeliver")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "no_matching_endpoint"
        stranger_endpoint = create_endpoint(other_firm_admin(api), URL)
        response = admin.post(
            f"/v1/events/{event_id}/redeliver", json={"endpoint_id": stranger_endpoint["id"]}
        )
        assert response.status_code == 404
