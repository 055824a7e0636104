"""The background worker: outbox deliveries, queued imports, scheduled scans, key rotation."""
