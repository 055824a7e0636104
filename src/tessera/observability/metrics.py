"""Prometheus metrics, on their own registry (one per app)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class Metrics:
    """The service's Prometheus metrics, on their own registry (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "tessera_http_requests",
            "HTTP requests handled, by route template, method and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "tessera_http_request_duration_seconds",
            "HTTP request latency by route template and method.",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.money_movements = Counter(
            "tessera_money_movements",
            "Committed money movements by type.",
            ["type"],
            registry=self.registry,
        )
        self.logins = Counter(
            "tessera_logins", "Login attempts by outcome.", ["outcome"], registry=self.registry
        )
        self.webhook_attempts = Counter(
            "tessera_webhook_attempts",
            "Webhook delivery attempts, by outcome (succeeded or why they failed).",
            ["outcome"],
            registry=self.registry,
        )
        self.webhook_attempt_duration = Histogram(
            "tessera_webhook_attempt_duration_seconds",
            "How long webhook delivery attempts took.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
