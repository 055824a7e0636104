"""The SSRF guard: with WEBHOOK_ALLOW_PRIVATE false, nothing is sent to private, loopback or
link-local addresses, whether written in the URL or reached through DNS."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError

from tessera.config import AppEnv, Settings
from tessera.runtime import Runtime
from tessera.webhooks.rules import address_allowed
from tessera.webhooks.transport import AddressNotAllowed, GuardedNetworkBackend
from tests.support.api import Api, Caller
from tests.support.webhooks import Receiver, create_endpoint, deliver_due, deliveries


@pytest.fixture
def strict(runtime: Runtime) -> None:
    """Production's default: no private destinations."""
    runtime.settings = runtime.settings.model_copy(update={"webhook_allow_private": False})


class TestCreatingEndpoints:
    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:8000/hook",
            "http://[::1]:8000/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/hook",
            "http://192.168.0.10/hook",
            "http://[::ffff:127.0.0.1]/hook",
            "http://0.0.0.0:8000/hook",
        ],
    )
    @pytest.mark.usefixtures("strict")
    def test_refuses_a_private_address_written_in_the_url(self, admin: Caller, url: str) -> None:
        response = admin.post("/v1/webhook-endpoints", json={"url": url, "events": ["*"]})
        assert response.status_code == 422, response.text
        (field,) = response.json()["error"]["details"]["fields"]
        assert field["field"] == "url"
        assert "private, loopback or link-local" in field["message"]


class TestDelivering:
    @pytest.mark.usefixtures("strict")
    def test_a_host_name_that_resolves_to_loopback_is_refused(
        self, api: Api, admin: Caller, receiver: Receiver
    ) -> None:
        endpoint = create_endpoint(admin, f"http://localhost:{receiver.port}/hook")
        api.customer().open_account()

        deliver_due(api.runtime)

        assert receiver.received == []
        (delivery,) = deliveries(admin, endpoint["id"])
        (attempt,) = delivery["attempts"]
        assert attempt["outcome"] == "failed"
        assert attempt["status_code"] is None
        assert attempt["error"].startswith("refused by the SSRF guard")
        assert delivery["status"] == "pending"

    def test_endpoints_to_private_addresses_are_refused_once_private_is_not_allowed(
        self, api: Api, admin: Caller, receiver: Receiver, runtime: Runtime
    ) -> None:
        urls = {
            "loopback": receiver.url(),
            "private": "http://10.255.255.1:9/hook",
            "link-local": "http://169.254.169.254/latest/meta-data/",
        }
        endpoints = {name: create_endpoint(admin, url)["id"] for name, url in urls.items()}
        runtime.settings = runtime.settings.model_copy(update={"webhook_allow_private": False})
        api.customer().open_account()

        deliver_due(runtime)

        assert receiver.received == []
        for endpoint_id in endpoints.values():
            (attempt,) = deliveries(admin, endpoint_id)[0]["attempts"]
            assert attempt["error"].startswith("refused by the SSRF guard")
            # Refused before connecting: no connect timeout was waited for.
            assert attempt["duration_ms"] < 500

    def test_with_private_allowed_the_same_receiver_is_reached(
        self, api: Api, admin: Caller, receiver: Receiver
    ) -> None:
        create_endpoint(admin, f"http://localhost:{receiver.port}/hook")
        api.customer().open_account()
        deliver_due(api.runtime)
        assert len(receiver.received) == 1


class TestAllowPrivateSetting:
    @pytest.fixture(autouse=True)
    def _clean_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("WEBHOOK_ALLOW_PRIVATE", raising=False)
        monkeypatch.delenv("APP_ENV", raising=False)

    @pytest.mark.parametrize(
        ("env", "allowed"), [(AppEnv.DEV, True), (AppEnv.TEST, True), (AppEnv.PROD, False)]
    )
    def test_defaults_to_true_only_in_dev_and_test(self, env: AppEnv, allowed: bool) -> None:
        settings = Settings(_env_file=None, app_env=env)  # type: ignore[call-arg]
        assert settings.allow_private_webhooks is allowed

    def test_the_environment_variable_wins(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "true")
        prod = Settings(_env_file=None, app_env=AppEnv.PROD)  # type: ignore[call-arg]
        assert prod.allow_private_webhooks is True
        monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "false")
        dev = Settings(_env_file=None, app_env=AppEnv.DEV)  # type: ignore[call-arg]
        assert dev.allow_private_webhooks is False

    def test_a_lease_shorter_than_one_attempt_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="WEBHOOK_LEASE_SECONDS"):
            Settings(  # type: ignore[call-arg]
                _env_file=None, webhook_read_timeout_seconds=10, webhook_lease_seconds=20
            )


# IPv6 spellings of non-global IPv4 addresses, and of IPv6 ones.
WRAPPED_PRIVATE = [
    "64:ff9b::a9fe:a9fe",  # NAT64 (RFC 6052) of 169.254.169.254, the metadata service
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b:1::a00:1",  # local-use NAT64 (RFC 8215) of 10.0.0.1
    "::7f00:1",  # IPv4-compatible 127.0.0.1
    "::a9fe:a9fe",  # IPv4-compatible 169.254.169.254
    "::ffff:a9fe:a9fe",  # IPv4-mapped 169.254.169.254
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2002:c0a8:1::",  # 6to4 of 192.168.0.1
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
]


class TestWrappedAddresses:
    @pytest.mark.parametrize("address", WRAPPED_PRIVATE)
    @pytest.mark.usefixtures("strict")
    def test_an_ipv6_form_of_a_private_address_is_refused_at_registration(
        self, admin: Caller, address: str
    ) -> None:
        response = admin.post(
            "/v1/webhook-endpoints", json={"url": f"http://[{address}]/hook", "events": ["*"]}
        )
        assert response.status_code == 422, response.text
        assert "private, loopback or link-local" in response.json()["error"]["message"]

    @pytest.mark.parametrize("address", WRAPPED_PRIVATE)
    def test_the_socket_guard_refuses_it_too(self, address: str) -> None:
        backend = GuardedNetworkBackend(allow_private=False)
        with pytest.raises(AddressNotAllowed):
            backend.connect_tcp(address, 80, timeout=0.5)

    @pytest.mark.parametrize(
        "address", ["64:ff9b::808:808", "2002:808:808::1", "2001:4860:4860::8888"]
    )
    def test_forms_of_global_addresses_are_allowed(self, address: str) -> None:
        assert address_allowed(ipaddress.ip_address(address))


class TestNumericHosts:
    @pytest.mark.parametrize(
        "url",
        [
            "http://256.1.1.1/hook",  # out of range
            "http://0177.0.0.1/hook",  # octal: 127.0.0.1 to the C resolver
            "http://0x7f.1/hook",  # hexadecimal, two parts: 127.0.0.1
            "http://2130706433/hook",  # one decimal number: 127.0.0.1
            "http://0x7f000001/hook",
            "http://1.2.3/hook",
            "http://8.8.8.08/hook",  # a leading zero, even on a public address
            "http://example.123/hook",  # a name ending in a number is an IPv4 address to a URL
        ],
    )
    def test_an_ip_address_that_is_not_four_plain_numbers_is_refused(
        self, admin: Caller, url: str
    ) -> None:
        # Even with private addresses allowed: the address is not what it looks like.
        response = admin.post("/v1/webhook-endpoints", json={"url": url, "events": ["*"]})
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_ip_literal"
        assert error["details"]["fields"][0]["field"] == "url"

    def test_plain_addresses_and_host_names_are_accepted(self, admin: Caller) -> None:
        for url in (
            "http://203.0.113.7/hook",
            "https://hooks.example.com/x",
            "http://[2001:db8::1]/",
        ):
            response = admin.post("/v1/webhook-endpoints", json={"url": url, "events": ["*"]})
            assert response.status_code == 201, response.text
