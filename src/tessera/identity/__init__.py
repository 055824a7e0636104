"""Resolving the caller of a request into a ``Principal``: a low package that features use.

``deps.py`` asks it on every authenticated request; it imports no feature.
"""
