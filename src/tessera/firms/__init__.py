"""Partner firms: the tenants."""
