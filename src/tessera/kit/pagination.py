"""Limit/offset pages: ``{"items": [...], "total": N, "limit": L, "offset": O}``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")
S = TypeVar("S")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Beyond this an offset is a mistake (and would overflow the database's integers).
MAX_OFFSET = 1_000_000_000


@dataclass(frozen=True, slots=True)
class PageParams:
    """Which slice of a list the caller asked for."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One slice of a list and the size of the whole list."""

    items: list[T]
    total: int
    limit: int
    offset: int


class PageRead(BaseModel, Generic[T]):
    """The JSON shape of a page."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, page: Page[S], read: Callable[[S], T]) -> PageRead[T]:
        """The page of a service, each item turned into its API shape by ``read``."""
        return cls(
            items=[read(item) for item in page.items],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
        )
