"""Free TCP ports on 127.0.0.1 for the servers a test starts."""

from __future__ import annotations

import socket

# What a server prints when another process took its port between free_port() and its bind.
PORT_TAKEN = "address already in use"


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel's choice, so parallel runs differ).

    Another process may take it before the caller binds it: a caller that starts a server
    retries on a new port when the server says ``PORT_TAKEN``.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
