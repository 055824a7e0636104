"""Which tenant rows a caller may see, as one value.

A ``Visibility`` is built from the principal (``Principal.visibility``) and is one of four
cases:

- ``everything()``: every firm's rows (a platform admin);
- ``firm(F)``: every row of firm F (staff and machine clients);
- ``holder(F, H)``: the rows of account holder H in firm F (a customer);
- ``nothing()``: no row at all (a customer who has no account holder yet).

Repositories turn it into their filter with ``where`` (SQLAlchemy Core and ORM queries on a
table with ``firm_id`` and, when holders matter, ``holder_id`` columns). The raw-SQL reads
(``tessera.rawsql``: the account read, the money path) fetch one row by primary key with a
statement prepared once, and check the row they got with ``sees``; an unseen row is a 404
exactly as a missing one.

Objects that belong to the firm as a whole (transfers, events, webhook endpoints, imports,
clients, users) are filtered with ``Principal.firm_visibility``: the caller's firm (every firm
for a platform admin), whatever holder the caller is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement


@dataclass(frozen=True, slots=True)
class Visibility:
    """The rows a caller may see (build it with the four constructors, not directly)."""

    # None: every firm (only with sees_any).
    firm_id: str | None
    # None: every holder of the firm(s) in view.
    holder_id: str | None
    # False: no row at all, whatever the other fields say.
    sees_any: bool = True

    @classmethod
    def everything(cls) -> Visibility:
        return cls(firm_id=None, holder_id=None)

    @classmethod
    def firm(cls, firm_id: str) -> Visibility:
        return cls(firm_id=firm_id, holder_id=None)

    @classmethod
    def holder(cls, firm_id: str, holder_id: str) -> Visibility:
        return cls(firm_id=firm_id, holder_id=holder_id)

    @classmethod
    def nothing(cls) -> Visibility:
        return cls(firm_id=None, holder_id=None, sees_any=False)

    @property
    def is_nothing(self) -> bool:
        return not self.sees_any

    def firm_wide(self) -> Visibility:
        """The same firms with every holder in them (``nothing`` stays ``nothing``).

        For a table without a holder column whose rows the caller then matches to its holder
        some other way (a delivery status by the card reference it carries).
        """
        return Visibility(firm_id=self.firm_id, holder_id=None, sees_any=self.sees_any)

    def in_firm(self, firm_id: str) -> Visibility:
        """The same view narrowed to one firm (nothing if that firm is out of view)."""
        if not self.sees_any or (self.firm_id is not None and self.firm_id != firm_id):
            return Visibility.nothing()
        return Visibility(firm_id=firm_id, holder_id=self.holder_id)

    def sees(self, *, firm_id: str, holder_id: str | None) -> bool:
        """Whether a row owned by ``firm_id`` (and ``holder_id``) is in view."""
        if not self.sees_any:
            return False
        if self.firm_id is not None and firm_id != self.firm_id:
            return False
        return self.holder_id is None or holder_id == self.holder_id

    def where(
        self, firm_column: Any, holder_column: Any | None = None
    ) -> list[ColumnElement[bool]]:
        """The where-clauses that keep the rows in view (none for ``everything``).

        ``holder_column`` is the column naming the row's account holder (``holder_id``, or
        ``id`` on the holders table). A holder-scoped visibility on a table without one is a
        programming error: the caller wanted ``Principal.firm_visibility``.
        """
        if not self.sees_any:
            return [sa.false()]
        clauses: list[ColumnElement[bool]] = []
        if self.firm_id is not None:
            clauses.append(firm_column == self.firm_id)
        if self.holder_id is not None:
            if holder_column is None:
                raise ValueError("a holder-scoped visibility needs the table's holder column")
            clauses.append(holder_column == self.holder_id)
        return clauses
