"""The fixture-driven parser tests shared by every platform: load a documented payload,
parse it, check the one event it gives, and remember which fixtures a test used (for the
meta-test that fails on a fixture no test reads)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sosbot.core.events import PlatformEvent


class FixtureBook:
    def __init__(self, folder: Path, parse: Callable[[Any], list[PlatformEvent]]) -> None:
        self.folder = folder
        self.parse = parse  # loaded JSON → events
        self.used: set[str] = set()

    def load(self, name: str) -> Any:
        self.used.add(name)
        return json.loads((self.folder / f"{name}.json").read_text(encoding="utf-8"))

    def events_of(self, name: str) -> list[PlatformEvent]:
        return self.parse(self.load(name))

    def check(self, fixture: str, event_type: type, /, **expected: Any) -> PlatformEvent:
        """The fixture gives exactly one event of ``event_type`` with these attributes
        (``chat__chat_id`` reads ``event.chat.chat_id``)."""
        events = self.events_of(fixture)
        assert len(events) == 1, events
        event = events[0]
        assert isinstance(event, event_type), event
        for attr, value in expected.items():
            actual: Any = event
            for part in attr.split("__"):
                actual = getattr(actual, part)
            assert actual == value, (attr, actual)
        return event

    def on_disk(self) -> set[str]:
        return {path.stem for path in self.folder.glob("*.json")}

    def unused(self) -> set[str]:
        return self.on_disk() - self.used
