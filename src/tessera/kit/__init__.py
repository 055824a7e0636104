"""Small shared pieces with no feature knowledge: ids, money, pagination, idempotency, phones."""
