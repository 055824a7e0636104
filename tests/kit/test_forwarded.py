"""The caller's address behind trusted proxies."""

from __future__ import annotations

import pytest

from tessera.kit.forwarded import client_address, is_trusted_proxy, parse_networks

PROXIES = parse_networks(["10.0.0.0/8", "2001:db8:ffff::/48", "127.0.0.1"])


class TestClientAddress:
    @pytest.mark.parametrize(
        ("peer", "forwarded_for", "expected"),
        [
            # No trusted proxy in front: the header is the client's own word, ignored.
            ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),
            ("203.0.113.9", [], "203.0.113.9"),
            # A trusted proxy: the rightmost address that is not a proxy is the client, and
            # whatever the client wrote further left is ignored.
            ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
            ("10.0.0.2", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),
            ("10.0.0.2", ["6.6.6.6", "198.51.100.1, 10.0.0.3"], "198.51.100.1"),
            ("127.0.0.1", ["2001:db8::7, 2001:db8:ffff::1"], "2001:db8::7"),
            # Ports, brackets, zones and IPv4-mapped forms come out as one canonical address.
            ("10.0.0.2", ["198.51.100.1:4711"], "198.51.100.1"),
            ("10.0.0.2", ["[2001:DB8::7]:443"], "2001:db8::7"),
            ("10.0.0.2", ["::ffff:198.51.100.1"], "198.51.100.1"),
            ("10.0.0.2", ["fe80::1%eth0"], "fe80::1"),
            # Garbage stops the walk at the last hop a trusted proxy vouched for.
            ("10.0.0.2", ["<script>, 10.0.0.3"], "10.0.0.3"),
            ("10.0.0.2", ["unknown"], "10.0.0.2"),
            ("10.0.0.2", ["x" * 300], "10.0.0.2"),
            # Only proxies all the way: the leftmost one is where the request came from.
            ("10.0.0.2", ["10.1.1.1, 10.0.0.3"], "10.1.1.1"),
            ("10.0.0.2", [" , "], "10.0.0.2"),
        ],
    )
    def test_reads_forwarded_for_only_behind_trusted_proxies(
        self, peer: str, forwarded_for: list[str], expected: str
    ) -> None:
        assert client_address(peer, forwarded_for, PROXIES) == expected

    def test_nothing_is_trusted_by_default(self) -> None:
        assert client_address("127.0.0.1", ["198.51.100.1"], ()) == "127.0.0.1"
        assert not is_trusted_proxy("127.0.0.1", ())

    def test_a_peer_that_is_not_an_ip_is_kept_as_is(self) -> None:
        assert client_address("testclient", ["198.51.100.1"], PROXIES) == "testclient"
        assert client_address(None, ["198.51.100.1"], PROXIES) is None

    def test_networks_are_parsed_strictly_enough(self) -> None:
        assert [str(n) for n in parse_networks(["10.1.2.3/8", " ::1 "])] == [
            "10.0.0.0/8",
            "::1/128",
        ]
        with pytest.raises(ValueError, match="does not appear"):
            parse_networks(["proxy.internal"])
