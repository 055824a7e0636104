"""The pure rules: event filters, URLs, the SSRF address rule, and the retry schedule."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest

from tessera.errors import ValidationFailed
from tessera.webhooks import rules

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


class TestEventFilter:
    def test_keeps_known_types_once_in_order(self) -> None:
        chosen = rules.event_filter(["transfer.completed", "account.created", "transfer.completed"])
        assert chosen == ["transfer.completed", "account.created"]

    def test_star_alone_means_every_type(self) -> None:
        assert rules.event_filter(["*"]) == ["*"]
        assert rules.wants(["*"], "certificate.revoked")

    @pytest.mark.parametrize("events", [[], ["*", "account.created"], ["account.opened"]])
    def test_refuses_empty_mixed_star_and_unknown_types(self, events: list[str]) -> None:
        with pytest.raises(ValidationFailed) as caught:
            rules.event_filter(events)
        assert caught.value.details["fields"][0]["field"] == "events"

    def test_wants_only_listed_types(self) -> None:
        assert rules.wants(["account.created"], "account.created")
        assert not rules.wants(["account.created"], "transaction.created")


class TestAddressAllowed:
    @pytest.mark.parametrize(
        "address",
        [
            "127.0.0.1",  # loopback
            "127.5.5.5",
            "::1",
            "10.1.2.3",  # private
            "172.16.0.1",
            "192.168.1.1",
            "fd00::1",
            "169.254.169.254",  # link-local: the cloud metadata service
            "fe80::1",
            "0.0.0.0",  # noqa: S104 - unspecified, the point of the test
            "::",
            "100.64.0.1",  # shared address space (carrier-grade NAT)
            "224.0.0.1",  # multicast
            "240.0.0.1",  # reserved
            "255.255.255.255",
            "::ffff:127.0.0.1",  # IPv4-mapped loopback
            "::ffff:10.0.0.1",
            "2002:7f00:1::",  # 6to4 wrapping 127.0.0.1
        ],
    )
    def test_refuses_non_global_addresses(self, address: str) -> None:
        assert not rules.address_allowed(ipaddress.ip_address(address))

    @pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
    def test_allows_global_unicast(self, address: str) -> None:
        assert rules.address_allowed(ipaddress.ip_address(address))


class TestEndpointUrl:
    def test_accepts_https_and_http(self) -> None:
        assert rules.endpoint_url(" https://example.com/h?x=1 ", allow_private=False) == (
            "https://example.com/h?x=1"
        )
        assert rules.endpoint_url("http://example.com:8080/h", allow_private=False)

    @pytest.mark.parametrize(
        "url",
        [
            "ftp://example.com/h",
            "example.com/h",
            "https:///path",
            "https://user:pw@example.com/h",
            "https://example.com/h#frag",
            "https://example.com:99999/h",
            "https://example.com:0/h",
            "https://example.com/" + "a" * 2048,
        ],
    )
    def test_refuses_malformed_urls(self, url: str) -> None:
        with pytest.raises(ValidationFailed):
            rules.endpoint_url(url, allow_private=True)

    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:8000/h",
            "http://[::1]/h",
            "http://169.254.169.254/latest",
            "http://10.0.0.7/",
        ],
    )
    def test_refuses_private_literals_unless_allowed(self, url: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            rules.endpoint_url(url, allow_private=False)
        assert "private" in caught.value.details["fields"][0]["message"]
        assert rules.endpoint_url(url, allow_private=True) == url


class TestRetrySchedule:
    def test_doubles_from_ten_seconds_up_to_an_hour_within_twenty_percent(self) -> None:
        plain = [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]
        for attempt, expected in enumerate(plain, start=1):
            low = rules.retry_delay(attempt, base=10, maximum=3600, randomness=0.0)
            high = rules.retry_delay(attempt, base=10, maximum=3600, randomness=0.999999)
            middle = rules.retry_delay(attempt, base=10, maximum=3600, randomness=0.5)
            assert low == timedelta(seconds=expected * 0.8)
            assert high.total_seconds() == pytest.approx(expected * 1.2, rel=1e-5)
            assert middle == timedelta(seconds=expected)

    def test_huge_attempt_numbers_stay_at_the_maximum(self) -> None:
        delay = rules.retry_delay(10_000, base=10, maximum=3600, randomness=0.5)
        assert delay == timedelta(hours=1)

    def test_next_attempt_until_the_window_ends_then_none(self) -> None:
        created = NOW
        window = 3 * 86_400
        kwargs = {"base": 10.0, "maximum": 3600.0, "window": window, "randomness": 0.5}
        assert rules.next_attempt_at(now=NOW, created_at=created, attempt=1, **kwargs) == (
            NOW + timedelta(seconds=10)
        )
        late = created + timedelta(seconds=window - 1800)
        assert rules.next_attempt_at(now=late, created_at=created, attempt=40, **kwargs) is None

    def test_a_full_schedule_spans_about_three_days(self) -> None:
        now, attempt = NOW, 1
        while True:
            due = rules.next_attempt_at(
                now=now,
                created_at=NOW,
                attempt=attempt,
                base=10,
                maximum=3600,
                window=3 * 86_400,
                randomness=0.5,
            )
            if due is None:
                break
            now, attempt = due, attempt + 1
        assert timedelta(days=2, hours=23) <= now - NOW <= timedelta(days=3)
        assert 75 <= attempt <= 85
