"""Admission control: at most N requests in flight, a bounded wait, then a fast 503."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from tessera.app import create_app
from tessera.config import Settings
from tessera.overload import AdmissionControl
from tessera.runtime import build_runtime
from tests.support.api import Api
from tests.support.settings import make_settings


class _HeldApp:
    """An inner ASGI app whose requests wait until the test lets them finish."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.running = 0
        self.most = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            if scope["path"] != "/v1/health":
                await self.release.wait()
        finally:
            self.running -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


class TestAdmissionControl:
    def test_at_most_limit_run_and_the_rest_wait_their_turn(self) -> None:
        inner = _HeldApp()
        app = AdmissionControl(inner, limit=3, deadline=5)

        async def scenario() -> list[int]:
            async with _client(app) as http:
                tasks = [asyncio.ensure_future(http.get("/v1/accounts")) for _ in range(10)]
                await asyncio.sleep(0.1)
                assert inner.running == 3
                inner.release.set()
                return [r.status_code for r in await asyncio.gather(*tasks)]

        assert asyncio.run(scenario()) == [200] * 10
        assert inner.most == 3
        assert app.in_flight == 0

    def test_past_the_deadline_the_answer_is_a_fast_503_with_retry_after(self) -> None:
        inner = _HeldApp()
        app = AdmissionControl(inner, limit=1, deadline=0.2)

        async def scenario() -> tuple[httpx.Response, float]:
            async with _client(app) as http:
                holder = asyncio.ensure_future(http.get("/v1/accounts"))
                await asyncio.sleep(0.05)
                started = time.monotonic()
                refused = await http.get("/v1/transfers/tr_1")
                waited = time.monotonic() - started
                inner.release.set()
                assert (await holder).status_code == 200
                return refused, waited

        refused, waited = asyncio.run(scenario())
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "1"
        body = refused.json()
        assert body["error"]["code"] == "overloaded"
        assert 0.15 < waited < 2
        assert app.shed == 1

    def test_when_too_many_wait_the_next_is_refused_at_once(self) -> None:
        inner = _HeldApp()
        app = AdmissionControl(inner, limit=1, deadline=30, max_waiting=2)

        async def scenario() -> tuple[int, float]:
            async with _client(app) as http:
                held = [asyncio.ensure_future(http.get("/v1/accounts")) for _ in range(3)]
                await asyncio.sleep(0.1)
                started = time.monotonic()
                refused = await http.get("/v1/accounts")
                waited = time.monotonic() - started
                inner.release.set()
                assert [r.status_code for r in await asyncio.gather(*held)] == [200] * 3
                return refused.status_code, waited

        status, waited = asyncio.run(scenario())
        assert status == 503
        assert waited < 0.5

    def test_health_and_the_web_app_are_not_queued(self) -> None:
        inner = _HeldApp()
        app = AdmissionControl(inner, limit=1, deadline=0.1, max_waiting=0)

        async def scenario() -> list[int]:
            async with _client(app) as http:
                holder = asyncio.ensure_future(http.get("/v1/accounts"))
                await asyncio.sleep(0.05)
                health = await http.get("/v1/health")
                inner.release.set()
                await holder
                return [health.status_code]

        assert asyncio.run(scenario()) == [200]

    def test_a_client_that_leaves_while_waiting_gives_up_its_place(self) -> None:
        inner = _HeldApp()
        app = AdmissionControl(inner, limit=1, deadline=5)

        async def scenario() -> int:
            async with _client(app) as http:
                holder = asyncio.ensure_future(http.get("/v1/accounts"))
                await asyncio.sleep(0.05)
                leaver = asyncio.ensure_future(http.get("/v1/accounts"))
                await asyncio.sleep(0.05)
                leaver.cancel()
                await asyncio.sleep(0.05)
                inner.release.set()
                await holder
                # The slot was neither lost nor leaked: a new request gets it at once.
                return (await http.get("/v1/accounts")).status_code

        assert asyncio.run(scenario()) == 200
        assert app.in_flight == 0


class TestSizedFromOneSetting:
    def test_pool_and_threads_follow_max_concurrency(self, settings: Settings) -> None:
        tuned = settings.model_copy(update={"max_concurrency": 7})
        runtime = build_runtime(tuned)
        try:
            assert runtime.db.engine.pool.size() == tuned.db_pool_size  # type: ignore[attr-defined]
            assert tuned.db_pool_size >= 7 + 2
        finally:
            runtime.db.dispose()

    def test_a_saturated_app_sheds_with_the_envelope_and_recovers(
        self, database_url: str, tmp_path: Path
    ) -> None:
        settings = make_settings(
            database_url, tmp_path, max_concurrency=1, overload_deadline_seconds=0.3
        )
        runtime = build_runtime(settings)
        gate = threading.Event()
        holders = settings.writer_thread_count  # every writer thread is held
        entered = threading.Semaphore(0)

        def hold(session: object) -> None:
            entered.release()
            gate.wait(10)

        try:
            with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as client:
                api = Api(client, runtime)
                ada = api.customer()
                account = ada.open_account()
                outcome: dict[str, int] = {}

                def deposit() -> None:
                    response = ada.post(
                        "/v1/transactions",
                        json={
                            "account_id": account,
                            "type": "deposit",
                            "amount": 100,
                            "currency": "USD",
                        },
                    )
                    outcome["first"] = response.status_code

                # The writer is held, so the first deposit keeps the only slot while it waits.
                blockers = [
                    client.portal.start_task_soon(runtime.writer.run, hold)  # type: ignore[union-attr]
                    for _ in range(holders)
                ]
                for _ in range(holders):
                    assert entered.acquire(timeout=10)
                first = threading.Thread(target=deposit)
                first.start()
                time.sleep(0.1)
                started = time.monotonic()
                shed = ada.get(f"/v1/accounts/{account}")
                waited = time.monotonic() - started
                gate.set()
                first.join(10)
                for blocker in blockers:
                    blocker.result(10)
                assert shed.status_code == 503
                assert shed.headers["Retry-After"] == "1"
                assert shed.json()["error"]["code"] == "overloaded"
                assert waited < 2
                # The deposit waited for the writer past its deadline: refused, nothing moved.
                assert outcome["first"] == 503
                assert ada.get(f"/v1/accounts/{account}").json()["balance"] == 0
                # The burst is over: the next request is served at once.
                assert ada.deposit(account, 100)["balance_after"] == 100
        finally:
            runtime.db.dispose()


class TestOneDeadlinePerRequest:
    """Waiting for a slot and then for the writer share the request's one deadline."""

    def test_time_spent_waiting_for_admission_counts_at_the_writer(self, runtime: Any) -> None:
        from tessera.errors import Overloaded
        from tessera.writer import Writer

        writer = Writer(runtime.db, deadline_seconds=10)  # alone, the writer would wait 10 s
        ran: list[str] = []
        writer_held = threading.Event()
        release_writer = threading.Event()

        def gate(session: object) -> None:
            writer_held.set()
            release_writer.wait(10)

        def work(session: object) -> str:
            ran.append("work")
            return "done"

        async def inner(scope: Scope, receive: Receive, send: Send) -> None:
            status = 200
            if scope["path"] == "/v1/hold":
                await asyncio.sleep(0.3)
            else:
                try:
                    await writer.run(work)
                except Overloaded:
                    status = 503
            await send({"type": "http.response.start", "status": status, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        app = AdmissionControl(inner, limit=1, deadline=0.5)

        async def scenario() -> int:
            held = asyncio.ensure_future(writer.run(gate))
            await asyncio.to_thread(writer_held.wait, 10)
            async with _client(app) as http:
                holder = asyncio.ensure_future(http.get("/v1/hold"))
                await asyncio.sleep(0.05)
                # Waits ~0.25 s for the slot, then queues behind the held writer.
                writing = asyncio.ensure_future(http.get("/v1/write"))
                await asyncio.sleep(0.6)  # past the request's 0.5 s, far from the writer's 10
                release_writer.set()
                await held
                await holder
                return (await writing).status_code

        try:
            assert asyncio.run(scenario()) == 503
        finally:
            writer.stop()
        assert ran == []

    def test_outside_a_request_the_writer_keeps_its_own_deadline(self, runtime: Any) -> None:
        from tessera.overload import start_by
        from tessera.writer import Writer

        assert start_by() is None
        writer = Writer(runtime.db, deadline_seconds=10)
        try:
            assert asyncio.run(writer.run(lambda session: "ran")) == "ran"
        finally:
            writer.stop()
