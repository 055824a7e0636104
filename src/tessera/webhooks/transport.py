"""The HTTP client webhooks are sent with, and the SSRF guard under it.

The guard sits where the socket is opened: the host name is resolved once, every address it
resolves to is checked (private, loopback, link-local and other non-global addresses are
refused unless ``WEBHOOK_ALLOW_PRIVATE`` is true), and the connection goes to a checked address.
Checking there, rather than before the request, leaves no gap for a DNS answer that changes
between the check and the connection (DNS rebinding). TLS still verifies the certificate against
the host name of the URL. Redirects are not followed and proxies from the environment are
ignored, so a request can only reach the address that was checked.
"""

from __future__ import annotations

import socket
import ssl
import time
import typing
from dataclasses import dataclass
from enum import StrEnum

import httpcore
import httpx

import tessera
from tessera.webhooks.rules import address_allowed, parse_address

# The receiver's answer body is read (so the connection can be reused) up to this size, then
# dropped: only the status code is kept.
MAX_RESPONSE_BYTES = 64 * 1024
MAX_ERROR_LENGTH = 500
USER_AGENT = f"Tessera-Webhooks/{tessera.__version__}"

SocketOption = typing.Any


class AddressNotAllowed(httpcore.ConnectError):
    """The destination resolves to an address webhooks may not reach."""


class GuardedNetworkBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to addresses the SSRF rules allow."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = _resolve(host, port)
        if not self.allow_private:
            for address in addresses:
                parsed = parse_address(address)
                if parsed is None or not address_allowed(parsed):
                    raise AddressNotAllowed(
                        "the host resolves to a private, loopback or link-local address"
                    )
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
        raise failure or httpcore.ConnectError("the host has no address")


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpcore.ConnectError("the host name does not resolve") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool that uses the guarded backend."""

    def __init__(
        self, *, allow_private: bool, ssl_context: ssl.SSLContext, max_connections: int
    ) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx builds its pool privately; this replaces it with one that has our backend.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=GuardedNetworkBackend(allow_private=allow_private),
        )


def new_ssl_context() -> ssl.SSLContext:
    """The TLS settings for webhooks (loading the CA bundle takes a while: build it once)."""
    return httpx.create_ssl_context(trust_env=False)


def new_client(
    *,
    allow_private: bool,
    connect_timeout: float,
    read_timeout: float,
    ssl_context: ssl.SSLContext,
    max_connections: int = 16,
) -> httpx.Client:
    """An HTTP client for webhook deliveries."""
    return httpx.Client(
        transport=GuardedTransport(
            allow_private=allow_private, ssl_context=ssl_context, max_connections=max_connections
        ),
        timeout=httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=read_timeout
        ),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
    )


class FailureKind(StrEnum):
    """Why an attempt failed; every kind but ``http_status`` means the receiver was not reached."""

    HTTP_STATUS = "http_status"
    TIMEOUT = "timeout"
    CONNECT = "connect_error"
    ADDRESS_NOT_ALLOWED = "address_not_allowed"
    PROTOCOL = "protocol_error"
    INVALID_URL = "invalid_url"
    UNEXPECTED = "unexpected_error"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one HTTP attempt gave."""

    status_code: int | None
    duration_ms: int
    failure: FailureKind | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.failure is None

    @property
    def receiver_unreachable(self) -> bool:
        """The receiver did not answer at all (as opposed to answering with an error)."""
        return self.failure is not None and self.failure is not FailureKind.HTTP_STATUS


def post(client: httpx.Client, url: str, *, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST ``body`` to ``url``; a 2xx answer is a success, anything else a failure."""
    started = time.perf_counter()
    try:
        with client.stream("POST", url, content=body, headers=headers) as response:
            _drain(response)
            status = response.status_code
    except (httpx.TransportError, httpx.InvalidURL) as exc:
        kind, message = _failure_of(exc)
        return _failed(started, kind, message)
    duration = _elapsed_ms(started)
    if 200 <= status < 300:
        return Outcome(status_code=status, duration_ms=duration)
    return Outcome(
        status_code=status,
        duration_ms=duration,
        failure=FailureKind.HTTP_STATUS,
        error=f"the receiver answered {status}",
    )


def _failure_of(exc: httpx.TransportError | httpx.InvalidURL) -> tuple[FailureKind, str]:
    if isinstance(exc, httpx.InvalidURL):
        # Stored before the URL rules refused it (or written to the database by hand).
        return FailureKind.INVALID_URL, f"the URL cannot be used: {exc}"
    if isinstance(exc, httpx.TimeoutException):
        return FailureKind.TIMEOUT, _timeout_message(exc)
    if isinstance(exc, httpx.ConnectError):
        if isinstance(exc.__cause__, AddressNotAllowed):
            return FailureKind.ADDRESS_NOT_ALLOWED, f"refused by the SSRF guard: {exc}"
        return FailureKind.CONNECT, f"connection failed: {exc}"
    return FailureKind.PROTOCOL, f"{type(exc).__name__}: {exc}"


def unexpected_failure(exc: Exception) -> Outcome:
    """An attempt that failed on our side: recorded and retried like any other failure."""
    return Outcome(
        status_code=None,
        duration_ms=0,
        failure=FailureKind.UNEXPECTED,
        error=f"the attempt failed unexpectedly ({type(exc).__name__})"[:MAX_ERROR_LENGTH],
    )


def _drain(response: httpx.Response) -> None:
    received = 0
    for chunk in response.iter_raw():
        received += len(chunk)
        if received > MAX_RESPONSE_BYTES:
            break


def _timeout_message(exc: httpx.TimeoutException) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "timed out connecting to the receiver"
    if isinstance(exc, httpx.WriteTimeout):
        return "timed out sending the request"
    if isinstance(exc, httpx.PoolTimeout):
        return "timed out waiting for a free connection"
    return "timed out waiting for the receiver's answer"


def _failed(started: float, kind: FailureKind, message: str) -> Outcome:
    return Outcome(
        status_code=None,
        duration_ms=_elapsed_ms(started),
        failure=kind,
        error=message[:MAX_ERROR_LENGTH],
    )


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
