"""The ledger: deposits, withdrawals, transfers, statements and the invariant check."""
