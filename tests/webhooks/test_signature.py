"""The ``Tessera-Signature`` header, checked the way a firm's receiver checks it."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from tessera.webhooks.signature import new_secret, signature_header
from tests.support.webhooks import receiver_accepts

BODY = b'{"id":"evt_1","type":"account.created"}'


class TestSignatureHeader:
    def test_is_timestamp_and_hmac_of_timestamp_dot_body(self) -> None:
        secret = new_secret()
        header = signature_header([secret], 1_795_000_000, BODY)
        expected = hmac.new(secret.encode(), b"1795000000." + BODY, hashlib.sha256).hexdigest()
        assert header == f"t=1795000000,v1={expected}"

    def test_a_receiver_accepts_it_and_refuses_tampering(self) -> None:
        secret = new_secret()
        header = signature_header([secret], 1_795_000_000, BODY)
        assert receiver_accepts(header, BODY, secret, now=1_795_000_010)
        assert not receiver_accepts(header, BODY + b" ", secret, now=1_795_000_010)
        assert not receiver_accepts(header, BODY, new_secret(), now=1_795_000_010)
        assert not receiver_accepts(header, BODY, secret, now=1_795_000_000 + 301)

    def test_carries_one_signature_per_secret(self) -> None:
        new, old = new_secret(), new_secret()
        header = signature_header([new, old], 1_795_000_000, BODY)
        assert header.count("v1=") == 2
        assert receiver_accepts(header, BODY, new, now=1_795_000_000)
        assert receiver_accepts(header, BODY, old, now=1_795_000_000)

    def test_needs_a_secret(self) -> None:
        with pytest.raises(ValueError, match="secret"):
            signature_header([], 1, BODY)

    def test_secrets_are_random_and_prefixed(self) -> None:
        first, second = new_secret(), new_secret()
        assert first.startswith("whsec_")
        assert len(first) > 40
        assert first != second
