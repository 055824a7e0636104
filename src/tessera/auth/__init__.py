"""Signup, login, refresh-token families, logout, and erasing a user."""
