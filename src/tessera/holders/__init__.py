"""Account holders: the personal profiles of customers."""
