"""Platform-shaped bodies for fuzzing: the documented fixtures, and ways to spoil them.

Shared by the hypothesis properties and the atheris targets, so both start from the
payloads the platforms really send and wander from there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sosbot.bots.messenger import inbound as messenger_inbound
from sosbot.bots.telegram import inbound as telegram_inbound
from sosbot.bots.zalo import inbound as zalo_inbound
from sosbot.core.events import PlatformEvent
from sosbot.core.model import Channel, ConversationState, Location

BOTS = Path(telegram_inbound.__file__).resolve().parents[1]


@dataclass(frozen=True)
class Platform:
    """One platform's parser and its documented payloads (name → decoded JSON)."""

    name: str
    parse: Callable[[bytes], list[PlatformEvent]]
    fixtures: dict[str, Any]


def _fixtures(platform: str) -> dict[str, Any]:
    """The platform's fixtures; a file holding several deliveries (a Telegram album is
    three updates) gives one entry per delivery."""
    found: dict[str, Any] = {}
    for path in sorted((BOTS / platform / "fixtures").glob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(payload, list):
            found.update({f"{path.stem}.{i}": item for i, item in enumerate(payload)})
        else:
            found[path.stem] = payload
    return found


PLATFORMS: dict[str, Platform] = {
    "telegram": Platform("telegram", telegram_inbound.parse, _fixtures("telegram")),
    "zalo": Platform("zalo", zalo_inbound.parse, _fixtures("zalo")),
    "messenger": Platform("messenger", messenger_inbound.parse, _fixtures("messenger")),
}


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys and indexes) to a value inside ``value``, the root first."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


def get(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A copy of ``value`` with the item at ``path`` replaced by ``new``."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = replaced(value[head], rest, new)
    return copy


def removed(value: Any, path: tuple[Any, ...]) -> Any:
    """A copy of ``value`` without the item at ``path`` (the root cannot be removed)."""
    if not path:
        return value
    if len(path) == 1:
        copy: Any = dict(value) if isinstance(value, dict) else list(value)
        del copy[path[0]]
        return copy
    return replaced(value, path[:1], removed(value[path[0]], path[1:]))


def swapped_type(value: Any) -> Any:
    """The same datum in the other type platforms confuse: numbers ↔ strings, etc."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return [value]
    if isinstance(value, list):
        return {str(i): item for i, item in enumerate(value)}
    if isinstance(value, dict):
        return list(value.values())
    return 0


def encode(value: Any) -> bytes:
    """JSON as a platform would send it (UTF-8, non-ASCII kept)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=True).encode("utf-8",
                                                                         "surrogatepass")


def check_events(platform: str, produced: list[PlatformEvent]) -> None:
    """What every parser promises of the events it returns."""
    assert isinstance(produced, list)
    for event in produced:
        assert isinstance(event, PlatformEvent), event
        assert event.chat.channel is Channel(platform)
        assert isinstance(event.event_id, str) and event.event_id
        assert event.chat.chat_id
        location = getattr(event, "location", None)
        if isinstance(location, Location):
            # Out-of-range points are the conversation's to refuse, but they are numbers.
            assert location.lat == location.lat and location.lon == location.lon


def check_state(state: ConversationState) -> None:
    """A state ``step`` returns survives the JSON round trip storage puts it through."""
    assert isinstance(state, ConversationState)
    stored = json.loads(state.model_dump_json())
    assert ConversationState.model_validate(stored) == state
