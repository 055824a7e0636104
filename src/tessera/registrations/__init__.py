"""Card registrations: cards that firms bring, stored in the vault and approved or rejected."""
