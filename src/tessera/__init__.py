"""Tessera: a card and banking platform that partner firms run for their customers."""

__version__ = "0.1.0"
