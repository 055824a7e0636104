"""Logs, request ids, redaction and metrics."""

from __future__ import annotations

import json

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from tessera.kit.forwarded import parse_networks
from tessera.observability import (
    REDACTED,
    Metrics,
    RequestContextMiddleware,
    client_ip,
    redact_text,
    redact_value,
)
from tests.support.api import PASSWORD, Api
from tests.support.logs import LogView


class TestRequestId:
    def test_generated_when_missing_and_echoed(self, client: TestClient) -> None:
        response = client.get("/v1/health")
        assert len(response.headers["X-Request-Id"]) == 32

    def test_sane_incoming_id_is_kept_and_insane_one_replaced(self, client: TestClient) -> None:
        kept = client.get("/v1/health", headers={"X-Request-Id": "abc-123.def"})
        assert kept.headers["X-Request-Id"] == "abc-123.def"
        replaced = client.get("/v1/health", headers={"X-Request-Id": "bad id\twith spaces"})
        assert replaced.headers["X-Request-Id"] != "bad id\twith spaces"


class TestClientAddress:
    """The request context holds the one client address; forwarded headers need a trusted peer."""

    def _probe(self, peer: str, trusted: list[str]) -> TestClient:
        probe = FastAPI()

        @probe.get("/where")
        async def where(request: Request) -> dict[str, str | None]:
            return {"ip": client_ip(), "scheme": request.url.scheme}

        probe.add_middleware(
            RequestContextMiddleware, metrics=Metrics(), trusted_proxies=parse_networks(trusted)
        )
        return TestClient(probe, client=(peer, 50_000))

    def test_forwarded_headers_from_a_trusted_proxy_are_believed(self) -> None:
        headers = {"X-Forwarded-For": "198.51.100.4", "X-Forwarded-Proto": "https"}
        seen = self._probe("10.0.0.2", ["10.0.0.0/8"]).get("/where", headers=headers).json()
        assert seen == {"ip": "198.51.100.4", "scheme": "https"}

    def test_forwarded_headers_from_anyone_else_are_ignored(self) -> None:
        headers = {"X-Forwarded-For": "198.51.100.4", "X-Forwarded-Proto": "https"}
        for trusted in ([], ["10.0.0.0/8"]):
            seen = self._probe("127.0.0.1", trusted).get("/where", headers=headers).json()
            assert seen == {"ip": "127.0.0.1", "scheme": "http"}


class TestAccessLog:
    def test_every_line_is_json_with_the_request_fields(self, api: Api, logs: LogView) -> None:
        customer = api.customer()
        customer.get("/v1/accounts", headers={"X-Request-Id": "req-42"})
        records = logs.records()
        access = [r for r in records if r.get("request_id") == "req-42"]
        assert access, "no log line for the request"
        line = access[-1]
        for key in (
            "timestamp",
            "level",
            "event",
            "request_id",
            "user_id",
            "route",
            "method",
            "status_code",
            "duration_ms",
        ):
            assert key in line, key
        assert line["route"] == "/v1/accounts"
        assert line["user_id"] == customer.user_id
        assert line["status_code"] == 200
        assert line["timestamp"].endswith("Z")

    def test_route_is_the_template_not_the_path(self, api: Api, logs: LogView) -> None:
        customer = api.customer()
        account = customer.open_account()
        customer.get(f"/v1/accounts/{account}", headers={"X-Request-Id": "tmpl"})
        line = [r for r in logs.records() if r.get("request_id") == "tmpl"][-1]
        assert line["route"] == "/v1/accounts/{account_id}"
        assert account not in json.dumps(line)

    def test_no_password_or_token_is_logged(self, api: Api, logs: LogView) -> None:
        customer = api.customer()
        customer.get("/v1/auth/me")
        text = "\n".join(logs.lines)
        assert PASSWORD not in text
        assert customer.access_token not in text
        assert customer.refresh_token not in text


class TestRedaction:
    def test_sensitive_keys_are_replaced(self) -> None:
        event = redact_value(
            None,
            {
                "password": "hunter2",
                "nested": {"card_number": "4111111111111111", "cvv": "123", "ok": "fine"},
                "Authorization": "Bearer abc",
            },
        )
        assert event == {
            "password": REDACTED,
            "nested": {"card_number": REDACTED, "cvv": REDACTED, "ok": "fine"},
            "Authorization": REDACTED,
        }

    def test_card_numbers_tokens_and_jwts_in_free_text(self) -> None:
        text = redact_text(
            "paid with 4111 1111 1111 1111 and 5555-5555-5555-4444, "
            "auth Bearer sk_live_abc, jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_part"
        )
        assert "4111" not in text
        assert "5555" not in text
        assert "sk_live_abc" not in text
        assert "eyJhbGci" not in text

    def test_a_card_number_followed_by_more_digits_or_glued_to_a_word_is_masked(self) -> None:
        # The redactor and the leak scans share one scanner (tessera.kit.card_numbers): a card
        # number followed by its expiry is found inside the longer run of digits.
        assert redact_text("card 4111 1111 1111 1111 12/27 ok") == f"card {REDACTED} 12/27 ok"
        assert redact_text("tok_4111111111111111 and 5555555555554444x") == (
            f"tok_{REDACTED} and {REDACTED}x"
        )

    def test_non_card_digits_survive(self) -> None:
        text = "order 1234567890123 at 2026-11-23T08:46:33Z id acc_01M843"
        assert redact_text(text) == text

    def test_exception_text_is_redacted(self, logs: LogView) -> None:
        from tessera.observability import get_logger

        try:
            raise ValueError("bad card 4111111111111111 cvv")
        except ValueError:
            get_logger("test").exception("boom")
        line = logs.lines[-1]
        assert "4111111111111111" not in line
        assert REDACTED in line


class TestMetrics:
    def test_counts_and_latency_by_route_template(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        customer.get(f"/v1/accounts/{account}")
        text = api.client.get("/metrics").text
        assert (
            'tessera_http_requests_total{method="GET",route="/v1/accounts/{account_id}",status="200"}'
            in text
        )
        assert (
            'tessera_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/v1/accounts/{account_id}"}'
            in text
        )
        assert account not in text
        assert 'tessera_logins_total{outcome="success"}' in text
