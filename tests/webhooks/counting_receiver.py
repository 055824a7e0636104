"""A fast webhook receiver for load tests and benchmarks: it counts every (path, event id) it
is sent and answers 200, optionally after a delay. Standard library only, bound to 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class CountingReceiver:
    """Counts deliveries; ``duplicates`` is how many arrived more than once."""

    def __init__(self, *, delay_seconds: float = 0.0) -> None:
        self.delay_seconds = delay_seconds
        self.counts: Counter[tuple[str, str]] = Counter()
        self.first_arrival = threading.Event()
        self.first_at: float | None = None
        self.last_at: float | None = None
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(length)
                receiver.record(self.path, self.headers.get("Tessera-Event-Id", ""))
                if receiver.delay_seconds:
                    time.sleep(receiver.delay_seconds)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def record(self, path: str, event_id: str) -> None:
        now = time.monotonic()
        with self._lock:
            self.counts[(path, event_id)] += 1
            if self.first_at is None:
                self.first_at = now
            self.last_at = now
        self.first_arrival.set()

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.counts.values())

    @property
    def duplicates(self) -> int:
        with self._lock:
            return sum(self.counts.values()) - len(self.counts)

    def start(self) -> CountingReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)
