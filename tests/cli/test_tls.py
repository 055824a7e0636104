"""`tessera tls init` and `tessera serve --tls`: HTTPS with a certificate of the built-in CA."""

from __future__ import annotations

import ipaddress
import ssl
import stat
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx
import pytest
from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store

from tessera.config import Settings
from tests.support.processes import run_cli, serve


def _init(settings: Settings, *names: str) -> Path:
    flags = [part for name in names for part in ("--name", name)]
    result = run_cli(settings, "tls", "init", *flags)
    assert result.returncode == 0, result.stderr
    return settings.var_dir / "tls"


class TestTlsInit:
    def test_writes_a_key_only_the_owner_reads_and_a_chain_that_verifies(
        self, settings: Settings
    ) -> None:
        tls = _init(settings)
        assert stat.S_IMODE((tls / "server.key").stat().st_mode) == 0o600
        assert b"BEGIN PRIVATE KEY" in (tls / "server.key").read_bytes()  # PKCS#8, unencrypted
        leaf, intermediate = x509.load_pem_x509_certificates((tls / "server.crt").read_bytes())
        root = x509.load_pem_x509_certificate((tls / "ca.crt").read_bytes())
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert names.get_values_for_type(x509.DNSName) == ["localhost"]
        assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
        # The chain builds to the root with the same checks a TLS client makes for a server.
        verifier = (
            PolicyBuilder()
            .store(Store([root]))
            .time(datetime.now(UTC))
            .build_server_verifier(x509.DNSName("localhost"))
        )
        chain = verifier.verify(leaf, [intermediate])
        assert chain[-1] == root

    def test_names_given_and_no_silent_replacement(self, settings: Settings) -> None:
        tls = _init(settings, "api.example.test", "10.0.0.5")
        first = (tls / "server.crt").read_bytes()
        leaf = x509.load_pem_x509_certificates(first)[0]
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert names.get_values_for_type(x509.DNSName) == ["api.example.test"]
        assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("10.0.0.5")]
        again = run_cli(settings, "tls", "init")
        assert again.returncode == 1
        assert "--force" in again.stderr
        forced = run_cli(settings, "tls", "init", "--force")
        assert forced.returncode == 0, forced.stderr
        assert (tls / "server.crt").read_bytes() != first

    def test_serve_tls_without_a_certificate_says_what_to_run(self, settings: Settings) -> None:
        result = run_cli(settings, "serve", "--tls", timeout=60)
        assert result.returncode == 1
        assert "tessera tls init" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "args", [["--tls"], ["--prod", "--workers", "1", "--tls"]], ids=["embedded", "prod"]
)
def test_serves_https_that_only_a_client_with_the_ca_trusts(
    args: list[str], settings: Settings
) -> None:
    tls = _init(settings)
    with serve(settings, *args, ca_file=tls / "ca.crt", startup_timeout=120) as server:
        assert server.base_url.startswith("https://127.0.0.1:")
        with httpx.Client(verify=ssl.create_default_context(cafile=tls / "ca.crt")) as trusting:
            health = trusting.get(f"{server.base_url}/v1/health")
            assert health.status_code == 200
            # Served over TLS, every answer tells browsers to come back over HTTPS only.
            assert "max-age=" in health.headers["strict-transport-security"]
            assert (
                "max-age="
                in trusting.get(f"{server.base_url}/").headers["strict-transport-security"]
            )
            # The certificate names localhost too.
            local = server.base_url.replace("127.0.0.1", "localhost")
            assert trusting.get(f"{local}/v1/health").status_code == 200
        with (
            httpx.Client() as stranger,  # the system's CAs: ours is not one of them
            pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
        ):
            stranger.get(f"{server.base_url}/v1/health")
        with pytest.raises(httpx.TransportError):
            httpx.get(server.base_url.replace("https://", "http://") + "/v1/health")
