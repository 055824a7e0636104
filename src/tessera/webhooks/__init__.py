"""Webhooks: firms' endpoints, the dispatcher that turns outbox events into signed deliveries."""
