"""``hotline serve`` settles the heap before serving: what start-up built is frozen out of
the garbage collector's full collections, which would otherwise rescan it mid-call."""

from __future__ import annotations

import gc

from hotline.cli import settle_heap


def test_settling_freezes_what_start_up_built() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    start_up = [object() for _ in range(100)]
    try:
        settle_heap()
        assert gc.get_freeze_count() >= len(start_up)
    finally:
        gc.unfreeze()
