"""The fixture-driven parser tests shared by every platform: load a documented payload,
parse it, check the one event it gives; and, for the meta-test that fails on a fixture no
test reads, which fixtures a test module names (read from its source, so the meta-test
holds alone, with ``-k`` and under any split of the module between workers)."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sosbot.core.events import PlatformEvent


class FixtureBook:
    def __init__(self, folder: Path, parse: Callable[[Any], list[PlatformEvent]]) -> None:
        self.folder = folder
        self.parse = parse  # loaded JSON → events

    def load(self, name: str) -> Any:
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

    def unnamed(self, test_module: Path) -> set[str]:
        """The fixtures on disk that no string in ``test_module`` names."""
        tree = ast.parse(test_module.read_text(encoding="utf-8"))
        named = {node.value for node in ast.walk(tree)
                 if isinstance(node, ast.Constant) and isinstance(node.value, str)}
        return self.on_disk() - named
