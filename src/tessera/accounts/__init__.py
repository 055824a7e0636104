"""Money accounts: open, read, freeze and close."""
