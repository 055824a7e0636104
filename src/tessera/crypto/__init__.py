"""Cryptography: the vault, passwords, tokens and the PKI."""
