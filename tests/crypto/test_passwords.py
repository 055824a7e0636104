"""argon2id on a bounded pool: a full queue refuses at once, and waiting holds no thread."""

from __future__ import annotations

import asyncio
import os
import sys
import threading

import pytest

from tessera.crypto.passwords import HashingBusy, PasswordHashing


def _hashing(*, concurrency: int = 1, queue: int = 1) -> PasswordHashing:
    # Some tens of milliseconds a hash: long enough that the first is still running when the
    # next calls arrive.
    return PasswordHashing(
        time_cost=4, memory_kib=8192, parallelism=1, concurrency=concurrency, queue=queue
    )


class TestPasswordHashing:
    def test_hash_and_verify(self) -> None:
        hashing = _hashing()
        stored = hashing.hash("correct horse")
        assert stored.startswith("$argon2id$")
        assert hashing.verify(stored, "correct horse")
        assert not hashing.verify(stored, "wrong horse")
        # No hash (an unknown email) still costs a verification, and never matches.
        assert not hashing.verify(None, "tessera-timing-equaliser")
        assert not hashing.verify("not-a-hash", "x")

    def test_hashes_run_on_the_pool_threads(self, monkeypatch: pytest.MonkeyPatch) -> None:
        hashing = _hashing()
        seen: list[str] = []
        original = hashing._verify

        def verify(stored: str | None, password: str) -> bool:
            seen.append(threading.current_thread().name)
            return original(stored, password)

        monkeypatch.setattr(hashing, "_verify", verify)
        stored = hashing.hash("pw")
        assert asyncio.run(hashing.verify_async(stored, "pw"))
        assert len(seen) == 1
        assert seen[0].startswith("argon2")

    @pytest.mark.skipif(sys.platform != "linux", reason="niceness per thread is Linux's")
    def test_hashes_run_at_a_lower_cpu_priority(self, monkeypatch: pytest.MonkeyPatch) -> None:
        hashing = _hashing()
        niceness: list[int] = []
        original = hashing._verify

        def verify(stored: str | None, password: str) -> bool:
            niceness.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
            return original(stored, password)

        monkeypatch.setattr(hashing, "_verify", verify)
        assert hashing.verify(hashing.hash("pw"), "pw")
        caller = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        assert niceness == [min(caller + 10, 19)]

    def test_a_full_queue_refuses_at_once(self) -> None:
        hashing = _hashing(concurrency=1, queue=1)
        stored = hashing.hash("pw")

        async def burst() -> list[object]:
            return await asyncio.gather(
                *(hashing.verify_async(stored, "pw") for _ in range(4)), return_exceptions=True
            )

        outcomes = asyncio.run(burst())
        assert outcomes[:2] == [True, True]
        assert all(isinstance(outcome, HashingBusy) for outcome in outcomes[2:])
        busy = outcomes[2]
        assert isinstance(busy, HashingBusy)
        assert busy.status == 503
        assert busy.headers["Retry-After"] == "1"
        # Once the burst is over, there is room again.
        assert hashing.verify(stored, "pw")

    def test_a_cancelled_wait_gives_its_place_back(self) -> None:
        hashing = _hashing(concurrency=1, queue=1)
        stored = hashing.hash("pw")

        async def scenario() -> bool:
            running = asyncio.ensure_future(hashing.verify_async(stored, "pw"))
            waiting = asyncio.ensure_future(hashing.verify_async(stored, "pw"))
            await asyncio.sleep(0)  # both have taken their places
            with pytest.raises(HashingBusy):
                await hashing.verify_async(stored, "pw")
            waiting.cancel()
            await asyncio.sleep(0)
            again = await hashing.verify_async(stored, "pw")
            return again and await running

        assert asyncio.run(scenario())
