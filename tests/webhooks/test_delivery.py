"""Deliveries to a real receiver on 127.0.0.1: the signed body, retries with backoff, timeouts,
refused connections, event filters, secret rotation, ordering, the retry window, redelivery,
leases and stopping."""

from __future__ import annotations

import re
import socket
import threading
import time
from datetime import datetime, timedelta

import httpx
import sqlalchemy as sa

from tessera.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tessera.runtime import Runtime
from tessera.webhooks.dispatch import (
    WebhookSender,
    claim_endpoint,
    fan_out_events,
    record_attempt,
    send_claim,
)
from tessera.webhooks.transport import Outcome
from tests.support.api import Api, Caller
from tests.support.logs import LogView
from tests.support.matching import account_created_event
from tests.support.ports import free_port
from tests.support.webhooks import (
    MovableClock,
    Receiver,
    create_endpoint,
    deliver_due,
    deliveries,
    receiver_accepts,
    wait_until,
)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def signature_time(header: str) -> int:
    return int(dict(p.split("=", 1) for p in header.split(",") if p.startswith("t="))["t"])


class TestSignedDelivery:
    def test_posts_the_documented_body_with_a_verifiable_signature(
        self, api: Api, admin: Caller, receiver: Receiver
    ) -> None:
        endpoint = create_endpoint(admin, receiver.url())
        customer = api.customer()
        account = customer.open_account()

        assert deliver_due(api.runtime) == 1

        (request,) = receiver.received
        assert request.headers["Content-Type"] == "application/json"
        header = request.headers["Tessera-Signature"]
        assert receiver_accepts(header, request.body, endpoint["secret"], now=time.time())
        assert not receiver_accepts(header, request.body, "whsec_wrong", now=time.time())
        body = request.json()
        assert body == account_created_event(
            firm=admin.firm_id, account=account, holder_id=customer.holder_id
        )
        assert request.headers["Tessera-Event-Id"] == body["id"]
        assert body == admin.get(f"/v1/events/{body['id']}").json()
        (delivery,) = deliveries(admin, endpoint["id"])
        assert delivery["status"] == "succeeded"
        assert delivery["attempts"][0]["status_code"] == 200
        assert delivery["attempts"][0]["outcome"] == "succeeded"


class TestRetries:
    def test_three_500s_then_200_give_exactly_one_successful_delivery(
        self, api: Api, admin: Caller, receiver: Receiver, clock: MovableClock
    ) -> None:
        endpoint = create_endpoint(admin, receiver.url())
        receiver.answer(500, 500, 500)
        api.customer().open_account()

        deliver_due(api.runtime)
        (delivery,) = deliveries(admin, endpoint["id"])
        assert delivery["status"] == "pending"
        assert delivery["attempt_count"] == 1
        first_retry = parse_time(delivery["next_attempt_at"])
        tried_at = parse_time(delivery["attempts"][0]["started_at"])
        assert timedelta(seconds=8) <= first_retry - tried_at <= timedelta(seconds=12.5)

        deliver_due(api.runtime)  # not due yet: nothing is sent
        assert len(receiver.received) == 1

        for _ in range(3):
            clock.advance(60)
            deliver_due(api.runtime)
        clock.advance(3600)
        deliver_due(api.runtime)

        assert len(receiver.received) == 4
        assert len({r.json()["id"] for r in receiver.received}) == 1
        with clock.at_real_time():
            (delivery,) = deliveries(admin, endpoint["id"])
        assert delivery["status"] == "succeeded"
        assert delivery["next_attempt_at"] is None
        attempts = delivery["attempts"]
        assert [a["number"] for a in attempts] == [1, 2, 3, 4]
        assert [a["status_code"] for a in attempts] == [500, 500, 500, 200]
        assert [a["outcome"] for a in attempts] == ["failed"] * 3 + ["succeeded"]
        assert all(a["error"] == "the receiver answered 500" for a in attempts[:3])
        assert all(a["duration_ms"] >= 0 for a in attempts)
        waits = [parse_time(a["next_retry_at"]) - parse_time(a["started_at"]) for a in attempts[:3]]
        for wait, plain in zip(waits, (10, 20, 40), strict=True):
            assert timedelta(seconds=plain * 0.8) <= wait <= timedelta(seconds=plain * 1.2 + 0.5)
        assert attempts[3]["next_retry_at"] is None
        assert [r.headers["Tessera-Delivery-Attempt"] for r in receiver.received] == [
            "1",
            "2",
            "3",
            "4",
        ]

    def test_the_delivery_dies_when_the_retry_window_is_over(
        self, api: Api, admin: Caller, receiver: Receiver, clock: MovableClock
    ) -> None:
        endpoint = create_endpoint(admin, receiver.url())
        receiver.answer(*[503] * 5)
        api.customer().open_account()
        deliver_due(api.runtime)
        clock.advance(3 * 86_400 - 5)  # the next retry would land after the window
        deliver_due(api.runtime)

        with clock.at_real_time():
            (delivery,) = deliveries(admin, endpoint["id"])
        assert delivery["status"] == "dead"
        assert delivery["next_attempt_at"] is None
        assert [a["status_code"] for a in delivery["attempts"]] == [503, 503]
        assert delivery["attempts"][-1]["next_retry_at"] is None
        clock.advance(86_400)
        deliver_due(api.runtime)
        assert len(receiver.received) == 2
        with clock.at_real_time():
            assert deliveries(admin, endpoint["id"], status="dead")[0]["id"] == delivery["id"]
            assert deliveries(admin, endpoint["id"], status="pending") == []


class TestUnreachableReceiver:
    def test_a_receiver_that_times_out_is_retried_and_holds_back_the_batch(
        self, api: Api, admin: Caller, receiver: Receiver, clock: MovableClock
    ) -> None:
        endpoint = create_endpoint(admin, receiver.url())
        customer = api.customer()
        account = customer.open_account()
        customer.deposit(account, 100)
        receiver.delay_seconds = 1.2  # the read timeout is 0.5 s

        deliver_due(api.runtime)

        assert len(receiver.received) == 1  # the second one waits instead of timing out too
        first, second = sorted(deliveries(admin, endpoint["id"]), key=lambda d: d["event_type"])
        assert first["event_type"] == "account.created"
        (attempt,) = first["attempts"]
        assert attempt["outcome"] == "failed"
        assert attempt["status_code"] is None
        assert attempt["error"] == "timed out waiting for the receiver's answer"
        assert attempt["duration_ms"] >= 450
        assert first["status"] == second["status"] == "pending"
        assert second["attempts"] == []
        assert second["next_attempt_at"] == first["next_attempt_at"]

        receiver.delay_seconds = 0
        clock.advance(60)
        deliver_due(api.runtime)
        types = [r.json()["type"] for r in receiver.received]
        assert types == ["account.created", "account.created", "transaction.created"]
        with clock.at_real_time():
            assert all(d["status"] == "succeeded" for d in deliveries(admin, endpoint["id"]))

    def test_a_receiver_that_hangs_up_without_answering_is_retried(
        self, api: Api, admin: Caller
    ) -> None:
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]

        def hang_up() -> None:
            # Read the whole request first: closing with unread bytes would send a reset
            # instead of a clean end of stream, and that is another failure (ReadError).
            connection, _ = listener.accept()
            data = b""
            while b"\r\n\r\n" not in data:
                data += connection.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
            while len(body) < length:
                body += connection.recv(65536)
            connection.close()

        thread = threading.Thread(target=hang_up, daemon=True)
        thread.start()
        try:
            endpoint = create_endpoint(admin, f"http://127.0.0.1:{port}/hook")
            api.customer().open_account()
            deliver_due(api.runtime)
        finally:
            thread.join(5)
            listener.close()

        (delivery,) = deliveries(admin, endpoint["id"])
        (attempt,) = delivery["attempts"]
        assert attempt["status_code"] is None
        assert attempt["error"].startswith("RemoteProtocolError")
        assert delivery["status"] == "pending"

    def test_a_refused_connection_is_logged_and_retried(
        self, api: Api, admin: Caller, receiver: Receiver, clock: MovableClock
    ) -> None:
        closed_port = free_port()
        endpoint = create_endpoint(admin, f"http://127.0.0.1:{closed_port}/hook")
        api.customer().open_account()

        deliver_due(api.runtime)

        (delivery,) = deliveries(admin, endpoint["id"])
        (attempt,) = delivery["attempts"]
        assert attempt["outcome"] == "failed"
        assert attempt["status_code"] is None
        assert attempt["error"].startswith("connection failed")
        assert "refused" in attempt["error"].lower()
        assert delivery["status"] == "pending"
        assert delivery["next_attempt_at"] is not None
        clock.advance(60)
        deliver_due(api.runtime)
        with clock.at_real_time():
            assert deliveries(admin, endpoint["id"])[0]["attempt_count"] == 2


class TestEventFilter:
    def test_each_endpoint_gets_only_the_types_it_asked_for(
        self, api: Api, admin: Caller, receiver: Receiver
    ) -> None:
        create_endpoint(admin, receiver.url("/hook"), ["transaction.created"])
        create_endpoint(admin, receiver.url("/other"), ["*"])
        create_endpoint(admin, receiver.url("/third"), ["transfer.completed"])
        customer = api.customer()
        account = customer.open_account()
        customer.deposit(account, 100)

        deliver_due(api.runtime)

        assert [b["type"] for b in receiver.bodies("/hook")] == ["transaction.created"]
        assert sorted(b["type"] for b in receiver.bodies("/other")) == [
            "account.created",
            "transaction.created",
        ]
        assert receiver.bodies("/third") == []

    def test_another_firms_events_never_reach_this_firms_endpoints(
        self, api: Api, admin: Caller, receiver: Receiver
    ) -> None:
        create_endpoint(admin, receiver.url(), ["*"])
        firm = api.create_firm()
        api.customer(firm=firm.slug).open_account()
        deliver_due(api.runtime)
        assert receiver.received == []

    def test_an_endpoint_gets_events_from_after_its_creation_only(
        self, api: Api, admin: Caller, receiver: Receiver
    ) -> None:
        api.customer().open_account()
        create_endpoint(admin, receiver.url(), ["*"])
        deliver_due(api.runtime)
        assert receiver.received == []


class TestSecretRotation:
    def test_during_the_overlap_both_secrets_sign_then_only_the_new_one(
        self, api: Api, admin: Caller, receiver: Receiver, clock: MovableClock
    ) -> None:
        endpoint = create_endpoint(admin, receiver.url())
        old = endpoint["secret"]
        rotated = admin.post(
            f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret",
            json={"expire_previous_after_seconds": 3600},
        ).json()
        new = rotated["secret"]
        customer = api.customer()
        account = customer.open_account()
        deliver_due(api.runtime)

        (during,) = receiver.received
        header = during.headers["Tessera-Signature"]
        assert header.count("v1=") == 2
        assert receiver_accepts(header, during.body, new, now=time.time())
        assert receiver_accepts(header, during.body, old, now=time.time())

        with clock.at_real_time():
            customer.deposit(account, 100)
        clock.advance(3601)
        deliver_due(api.runtime)
        after = receiver.received[1]
        header = after.headers["Tessera-Signature"]
        assert header.count("v1=") == 1
        at = signature_time(header)
        assert receiver_accepts(header, after.body, new, now=at)
        assert not receiver_accepts(header, after.body, old, now=at)


class TestOrdering:
    def test_an_endpoint_gets_its_events_in_creation_order_across_batches(
        self, api: Api, admin: Caller, receiver: Receiver, runtime: Runtime
    ) -> None:
        runtime.settings = runtime.settings.model_copy(update={"webhook_batch_size": 3})
        create_endpoint(admin, receiver.url())
        customer = api.customer()
        account = customer.open_account()
        for amount in range(1, 11):
            customer.deposit(account, amount)

        deliver_due(runtime)

        bodies = receiver.bodies()
        assert [b["data"].get("amount") for b in bodies] == [None, *range(1, 11)]
        created = [parse_time(b["created_at"]) for b in bodies]
        assert created == sorted(created)


class TestRedelivery:
    def test_sends_the_same_event_again_as_a_new_delivery(
        self, api: Api, admin: Caller, receiver: Receiver, clock: MovableClock
    ) -> None:
        endpoint = create_endpoint(admin, receiver.url())
        receiver.answer(500, 500)
        api.customer().open_account()
        deliver_due(api.runtime)
        clock.advance(4 * 86_400)
        deliver_due(api.runtime)
        with clock.at_real_time():
            (dead,) = deliveries(admin, endpoint["id"])
            response = admin.post(f"/v1/events/{dead['event_id']}/redeliver")
        assert dead["status"] == "dead"
        assert response.status_code == 202
        deliver_due(api.runtime)

        assert [r.json()["id"] for r in receiver.received] == [dead["event_id"]] * 3
        with clock.at_real_time():
            latest, original = deliveries(admin, endpoint["id"])
        assert (latest["trigger"], latest["status"]) == ("redelivery", "succeeded")
        assert original["id"] == dead["id"]
        assert original["status"] == "dead"


class TestLeases:
    def test_work_claimed_by_a_worker_that_died_is_sent_once_its_lease_runs_out(
        self, api: Api, admin: Caller, receiver: Receiver, clock: MovableClock, runtime: Runtime
    ) -> None:
        endpoint = create_endpoint(admin, receiver.url())
        customer = api.customer()
        customer.deposit(customer.open_account(), 100)
        fan_out_events(runtime)
        abandoned = claim_endpoint(runtime)  # a worker claims, then is killed
        assert abandoned is not None
        assert len(abandoned.deliveries) == 2

        deliver_due(runtime)
        assert receiver.received == []  # the lease still holds

        clock.advance(runtime.settings.webhook_lease_seconds + 1)
        deliver_due(runtime)
        assert len(receiver.received) == 2
        with clock.at_real_time():
            assert all(d["status"] == "succeeded" for d in deliveries(admin, endpoint["id"]))

        # Were the first worker only asleep, it could not record anything over the new owner.
        late = record_attempt(
            runtime,
            abandoned,
            abandoned.deliveries[0],
            Outcome(status_code=200, duration_ms=1),
            started_at=runtime.now(),
        )
        assert not late.keep_going
        with clock.at_real_time():
            assert [len(d["attempts"]) for d in deliveries(admin, endpoint["id"])] == [1, 1]

    def test_a_long_batch_renews_its_lease_as_it_goes(
        self, api: Api, admin: Caller, receiver: Receiver, clock: MovableClock, runtime: Runtime
    ) -> None:
        endpoint = create_endpoint(admin, receiver.url())
        customer = api.customer()
        customer.deposit(customer.open_account(), 100)
        fan_out_events(runtime)
        claim = claim_endpoint(runtime)
        assert claim is not None
        first_lease = claim.lease_expires_at
        clock.advance(3)  # 2 s left of a 5 s lease: not enough for one more 2 s attempt

        recorded = record_attempt(
            runtime,
            claim,
            claim.deliveries[0],
            Outcome(status_code=200, duration_ms=1),
            started_at=runtime.now(),
        )

        assert recorded.keep_going
        assert claim.lease_expires_at - first_lease >= timedelta(seconds=3)
        with runtime.db.session_scope(write=False) as session:
            row = session.get(WebhookEndpoint, endpoint["id"])
            waiting = session.get(WebhookDelivery, claim.deliveries[1].id)
            assert row is not None
            assert waiting is not None
            assert row.lease_expires_at == claim.lease_expires_at
            assert waiting.due_at == claim.lease_expires_at  # the rest of the batch stays held
            assert waiting.status == "delivering"

    def test_the_endpoint_is_free_again_after_a_batch(
        self, api: Api, admin: Caller, receiver: Receiver, runtime: Runtime
    ) -> None:
        endpoint = create_endpoint(admin, receiver.url())
        api.customer().open_account()
        deliver_due(runtime)
        with runtime.db.session_scope(write=False) as session:
            row = session.get(WebhookEndpoint, endpoint["id"])
            assert row is not None
            assert (row.lease_token, row.lease_expires_at) == (None, None)
            tokens = session.scalars(sa.select(WebhookDelivery.claim_token)).all()
        assert tokens == [None]


class TestStop:
    def test_stopping_finishes_the_delivery_in_flight_and_hands_back_the_rest(
        self, api: Api, admin: Caller, receiver: Receiver, runtime: Runtime
    ) -> None:
        endpoint = create_endpoint(admin, receiver.url())
        customer = api.customer()
        account = customer.open_account()
        for amount in (1, 2, 3, 4):
            customer.deposit(account, amount)
        fan_out_events(runtime)
        receiver.delay_seconds = 0.3
        sender = WebhookSender()
        sent: list[int] = []
        thread = threading.Thread(target=lambda: sent.append(sender.run(runtime)))
        thread.start()
        assert receiver.arrived.wait(5)
        sender.stop()
        thread.join(5)
        assert not thread.is_alive()

        assert sent == [1]
        assert len(receiver.received) == 1
        found = {d["status"]: 0 for d in deliveries(admin, endpoint["id"])}
        for d in deliveries(admin, endpoint["id"]):
            found[d["status"]] += 1
        assert found == {"succeeded": 1, "pending": 4}
        with runtime.db.session_scope(write=False) as session:
            row = session.get(WebhookEndpoint, endpoint["id"])
            assert row is not None
            assert row.lease_token is None
            due = session.scalars(
                sa.select(WebhookDelivery.due_at).where(
                    WebhookDelivery.status == DeliveryStatus.PENDING.value
                )
            ).all()
        assert all(d is not None and d <= runtime.now() for d in due)
        assert sender.run(runtime) == 0  # a stopped sender takes no new work


class TestConcurrentSenders:
    def test_several_senders_deliver_everything_exactly_once(
        self, api: Api, admin: Caller, receiver: Receiver, runtime: Runtime
    ) -> None:
        runtime.settings = runtime.settings.model_copy(
            update={"webhook_batch_size": 5, "webhook_concurrency": 2}
        )
        for path in ("/hook", "/other", "/third"):
            create_endpoint(admin, receiver.url(path))
        customer = api.customer()
        account = customer.open_account()
        for amount in range(1, 30):
            customer.deposit(account, amount)
        while fan_out_events(runtime):
            pass
        errors: list[BaseException] = []

        def work() -> None:
            try:
                sender = WebhookSender()
                while sender.run(runtime):
                    pass
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert errors == []
        wait_until(lambda: len(receiver.received) >= 90, timeout=5)
        keys = [(r.path, r.json()["id"]) for r in receiver.received]
        assert len(keys) == 90
        assert len(set(keys)) == 90


class TestFanOut:
    def test_each_event_fans_out_exactly_once_however_many_workers_run_it(
        self, api: Api, admin: Caller, receiver: Receiver, runtime: Runtime
    ) -> None:
        endpoints = [create_endpoint(admin, receiver.url(p))["id"] for p in ("/hook", "/other")]
        customer = api.customer()
        account = customer.open_account()
        for amount in range(1, 60):
            customer.deposit(account, amount)
        errors: list[BaseException] = []

        def work() -> None:
            try:
                while fan_out_events(runtime, limit=7):  # small batches, so workers interleave
                    pass
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

        assert errors == []
        with runtime.db.session_scope(write=False) as session:
            pairs = session.execute(
                sa.select(WebhookDelivery.endpoint_id, WebhookDelivery.event_id)
            ).all()
        assert len(pairs) == 2 * 60
        assert len(set(pairs)) == 2 * 60
        assert {endpoint for endpoint, _ in pairs} == set(endpoints)
        assert fan_out_events(runtime) == 0


class TestDeletedWhileDelivering:
    def test_a_worker_holding_a_deleted_endpoint_stops_quietly(
        self, api: Api, admin: Caller, receiver: Receiver, runtime: Runtime
    ) -> None:
        endpoint = create_endpoint(admin, receiver.url())
        customer = api.customer()
        customer.deposit(customer.open_account(), 100)
        fan_out_events(runtime)
        claim = claim_endpoint(runtime)
        assert claim is not None

        assert admin.delete(f"/v1/webhook-endpoints/{endpoint['id']}").status_code == 204
        recorded = record_attempt(
            runtime,
            claim,
            claim.deliveries[0],
            Outcome(status_code=200, duration_ms=1),
            started_at=runtime.now(),
        )

        assert not recorded.keep_going
        with runtime.db.session_scope(write=False) as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 0


class TestUnexpectedFailures:
    """An attempt that fails in a way nothing expected is a failed attempt with its backoff."""

    def break_url(self, runtime: Runtime, endpoint_id: str, url: str) -> None:
        # As stored before the URL rules refused such URLs, or written by hand.
        with runtime.db.session_scope() as session:
            session.execute(
                sa.update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).values(url=url)
            )

    def test_a_stored_url_the_client_cannot_use_is_retried_with_backoff(
        self, api: Api, admin: Caller, receiver: Receiver, clock: MovableClock, logs: LogView
    ) -> None:
        endpoint = create_endpoint(admin, receiver.url())
        self.break_url(api.runtime, endpoint["id"], "http://256.1.1.1/hook")
        api.customer().open_account()

        deliver_due(api.runtime)  # returns: nothing is due until the retry
        assert WebhookSender().run(api.runtime) == 0  # the job keeps running, nothing to send

        (delivery,) = deliveries(admin, endpoint["id"])
        (attempt,) = delivery["attempts"]
        assert attempt["outcome"] == "failed"
        assert attempt["error"].startswith("the URL cannot be used")
        assert attempt["next_retry_at"] is not None
        assert delivery["status"] == "pending"
        assert parse_time(delivery["next_attempt_at"]) > parse_time(attempt["started_at"])
        assert not [r for r in logs.records() if r.get("level") == "error"]
        clock.advance(60)
        deliver_due(api.runtime)
        with clock.at_real_time():
            assert deliveries(admin, endpoint["id"])[0]["attempt_count"] == 2

    def test_any_exception_in_the_transport_is_a_recorded_attempt(
        self, api: Api, admin: Caller, receiver: Receiver
    ) -> None:
        endpoint = create_endpoint(admin, receiver.url())
        api.customer().open_account()
        fan_out_events(api.runtime)
        claim = claim_endpoint(api.runtime)
        assert claim is not None

        def explode(request: httpx.Request) -> httpx.Response:
            raise RuntimeError("a bug below the client")

        with httpx.Client(transport=httpx.MockTransport(explode)) as client:
            assert send_claim(api.runtime, client, claim, stop=threading.Event()) == 1

        (delivery,) = deliveries(admin, endpoint["id"])
        (attempt,) = delivery["attempts"]
        assert attempt["error"] == "the attempt failed unexpectedly (RuntimeError)"
        assert attempt["next_retry_at"] is not None
        assert delivery["status"] == "pending"
        assert receiver.received == []
