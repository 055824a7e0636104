"""The `tessera` command line: serve, migrate, worker, and the operator's tools.

Every command reads the same settings as the service (``DATABASE_URL`` and friends) and calls
the same services through ``session_scope()``.
"""

from __future__ import annotations

from tessera.cli.app import app


def main() -> None:
    """Entry point for the `tessera` console script."""
    app(prog_name="tessera")


if __name__ == "__main__":  # pragma: no cover
    main()
