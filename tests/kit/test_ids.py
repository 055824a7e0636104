"""Prefixed, time-ordered ids."""

from __future__ import annotations

import re
import time

from tessera.kit.ids import new_id


class TestNewId:
    def test_prefix_and_shape(self) -> None:
        value = new_id("acc")
        assert re.fullmatch(r"acc_[0-9A-HJKMNP-TV-Z]{26}", value)

    def test_later_ids_sort_later_and_never_repeat(self) -> None:
        first = new_id("x")
        time.sleep(0.002)
        ids = [new_id("x") for _ in range(10_000)]
        assert len(set(ids)) == 10_000
        assert all(first < other for other in ids)
