"""The expiry scan: ``certificate.expiring`` once per threshold crossed, never twice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta

from tessera.certificates import jobs, service
from tessera.config import Settings
from tessera.runtime import Runtime, build_runtime
from tests.support.api import Api, Caller
from tests.support.certificates import events_of, issue, patch


def _expiring(runtime: Runtime, customer: Caller) -> list[tuple[str, int, int]]:
    """``(certificate id, threshold_days, expires_in_days)`` of each expiring event so far."""
    return [
        (e.data["id"], e.data["threshold_days"], e.data["expires_in_days"])
        for e in events_of(runtime, customer.firm_id, "certificate.expiring")
    ]


def _scan_at(runtime: Runtime, moment: datetime) -> int:
    """Run the scan job as the worker would at ``moment``: until it finds nothing more."""
    runtime.clock = lambda: moment
    total = 0
    while (found := jobs.scan_expiring_certificates(runtime)) > 0:
        total += found
    return total


def _not_after(created: dict[str, str]) -> datetime:
    return datetime.fromisoformat(created["not_after"].replace("Z", "+00:00"))


class TestExpiryScan:
    def test_fires_once_per_default_threshold_as_time_passes(
        self, api: Api, runtime: Runtime
    ) -> None:
        customer = api.customer()
        created = issue(customer, validity_days=60)
        end = _not_after(created)
        cert = created["id"]

        _scan_at(runtime, end - timedelta(days=31))
        assert _expiring(runtime, customer) == []
        _scan_at(runtime, end - timedelta(days=29, hours=23))
        _scan_at(runtime, end - timedelta(days=29))
        assert _expiring(runtime, customer) == [(cert, 30, 29)]
        _scan_at(runtime, end - timedelta(days=6, hours=12))
        _scan_at(runtime, end - timedelta(days=6))
        _scan_at(runtime, end - timedelta(hours=20))
        _scan_at(runtime, end - timedelta(hours=1))
        _scan_at(runtime, end + timedelta(days=1))

        assert _expiring(runtime, customer) == [(cert, 30, 29), (cert, 7, 6), (cert, 1, 0)]
        (first, *_) = events_of(runtime, customer.firm_id, "certificate.expiring")
        assert first.data["serial_number"] == created["serial_number"]
        assert first.data["not_after"]

    def test_thresholds_already_passed_at_issuance_send_nothing(
        self, api: Api, runtime: Runtime
    ) -> None:
        customer = api.customer()
        created = issue(customer, validity_days=5)
        end = _not_after(created)

        _scan_at(runtime, end - timedelta(days=4, hours=23))
        assert _expiring(runtime, customer) == []
        _scan_at(runtime, end - timedelta(hours=12))

        assert _expiring(runtime, customer) == [(created["id"], 1, 0)]

    def test_after_a_long_pause_only_the_most_urgent_threshold_is_sent(
        self, api: Api, runtime: Runtime
    ) -> None:
        customer = api.customer()
        created = issue(customer, validity_days=90)
        end = _not_after(created)

        _scan_at(runtime, end - timedelta(days=3))
        _scan_at(runtime, end - timedelta(days=2))

        assert _expiring(runtime, customer) == [(created["id"], 7, 3)]

    def test_honours_the_certificates_own_thresholds(self, api: Api, runtime: Runtime) -> None:
        customer = api.customer()
        chosen = issue(customer, validity_days=60, notify_days_before_expiry=[45])
        silenced = issue(customer, validity_days=60, notify_days_before_expiry=[])
        patched = issue(customer, validity_days=60)
        patch(customer, patched["id"], notify_days_before_expiry=[14, 2])
        end = _not_after(patched)

        # An hour past each threshold, so that whole days left do not depend on which second
        # each certificate was made in.
        _scan_at(runtime, end - timedelta(days=44, hours=-1))
        _scan_at(runtime, end - timedelta(days=20))
        _scan_at(runtime, end - timedelta(days=13, hours=-1))
        _scan_at(runtime, end - timedelta(days=1, hours=-1))

        assert _expiring(runtime, customer) == [
            (chosen["id"], 45, 43),
            (patched["id"], 14, 12),
            (patched["id"], 2, 0),
        ]
        assert silenced["id"] not in {cert for cert, _, _ in _expiring(runtime, customer)}

    def test_inactive_and_revoked_certificates_are_not_announced(
        self, api: Api, runtime: Runtime
    ) -> None:
        customer = api.customer()
        start = runtime.now()
        paused = issue(customer, validity_days=60)
        revoked = issue(customer, validity_days=60)
        patch(customer, paused["id"], status="inactive")
        patch(customer, revoked["id"], status="revoked")
        end = _not_after(paused)

        _scan_at(runtime, end - timedelta(days=20))
        assert _expiring(runtime, customer) == []

        runtime.clock = lambda: start  # back to when the access token is valid
        patch(customer, paused["id"], status="active")
        _scan_at(runtime, end - timedelta(days=19))

        assert _expiring(runtime, customer) == [(paused["id"], 30, 19)]


class TestExpiryScanWithSeveralWorkers:
    def test_each_threshold_is_announced_once_however_many_workers_scan(
        self, api: Api, runtime: Runtime, settings: Settings
    ) -> None:
        customer = api.customer()
        made = [issue(customer, validity_days=40)["id"] for _ in range(24)]
        moment = runtime.now() + timedelta(days=11)  # 29 days left: the 30-day threshold
        workers = [build_runtime(settings) for _ in range(3)]
        barrier = threading.Barrier(len(workers))
        failures: list[BaseException] = []

        def work(rt: Runtime) -> None:
            try:
                barrier.wait(timeout=10)
                while True:
                    with rt.db.session_scope() as session:
                        if service.announce_expiring(session, now=moment, limit=3) == 0:
                            return
            except BaseException as exc:  # reported below
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(rt,)) for rt in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        for rt in workers:
            rt.db.dispose()

        assert failures == []
        announced = Counter(cert for cert, _, _ in _expiring(runtime, customer))
        assert announced == Counter(made)
        assert _scan_at(runtime, moment + timedelta(hours=1)) == 0
        assert len(_expiring(runtime, customer)) == len(made)
