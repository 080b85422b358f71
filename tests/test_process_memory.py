"""A warm long-lived process freezes what it has loaded (sosbot.process_memory): the
garbage collector's full collections stop walking the ward map and the modules (in a worker
about 226,000 objects, 80 ms a collection, every lane waiting meanwhile)."""

from __future__ import annotations

import gc

from sosbot.process_memory import release_startup_memory


def test_what_start_up_loaded_is_frozen() -> None:
    loaded = [{"ward": n} for n in range(50_000)]  # what a ward map would leave
    try:
        release_startup_memory()
        assert gc.get_freeze_count() >= len(loaded)
        walked = {id(o) for o in gc.get_objects(generation=2)}
        assert id(loaded[0]) not in walked and id(loaded[-1]) not in walked
    finally:
        gc.unfreeze()
