"""One table says how long a message may be on each platform (core/message_limits.py); a
card, a batch card and a bulletin take their limits from it, never from a table of their
own, so they cannot disagree about a platform again."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sosbot
from sosbot.core import message_limits
from sosbot.core.message_limits import (
    MESSAGE_UNITS,
    batch_card_units,
    caption_units,
    card_units,
    message_units,
)

PACKAGE = Path(sosbot.__file__).parent
PLATFORMS = frozenset(MESSAGE_UNITS)
# The adapters and the emulators state their platform's rule themselves (tests/bots hold
# the adapters' equal to the table); everything else reads the table.
OWN_RULES = ("bots", "emulators")


@pytest.mark.parametrize("channel", sorted(PLATFORMS | {"unknown"}))
def test_every_use_fits_its_platforms_message(channel: str) -> None:
    limit = message_units(channel)
    assert 0 < card_units(channel) <= limit
    assert 0 < batch_card_units(channel) <= limit
    assert 0 < caption_units(channel) <= limit


def test_a_platform_not_listed_gets_the_shortest_message() -> None:
    assert message_units("unknown") == min(MESSAGE_UNITS.values())
    assert card_units("unknown") == batch_card_units("unknown") == message_units("unknown")


def test_the_rooms_are_for_listed_platforms_and_leave_most_of_the_message() -> None:
    for rooms in (message_limits.CARD_ROOM, message_limits.BATCH_ROOM):
        assert set(rooms) <= PLATFORMS
        assert all(0 <= room < MESSAGE_UNITS[p] // 4 for p, room in rooms.items())


def _platform_tables(path: Path) -> list[str]:
    """Names bound to a dict from platform names to numbers in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if not isinstance(value, ast.Dict) or not value.keys:
            continue
        keys = {k.value for k in value.keys if isinstance(k, ast.Constant)}
        numbers = all(isinstance(v, ast.Constant) and isinstance(v.value, int)
                      for v in value.values)
        if keys and keys <= PLATFORMS and numbers:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found += [ast.unparse(t) for t in targets]
    return found


def test_no_other_module_writes_a_length_table_of_its_own() -> None:
    # A second table is how a card and a batch card came to disagree about Zalo and
    # Telegram: every length per platform lives in core/message_limits.py.
    tables = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in OWN_RULES or path == Path(message_limits.__file__):
            continue
        names = [n for n in _platform_tables(path)
                 if any(word in n.upper() for word in ("TEXT", "UNITS", "LIMIT", "BUDGET",
                                                      "CAPTION", "LENGTH", "CHARS"))]
        if names:
            tables[str(relative)] = names
    assert tables == {}


def test_the_scan_finds_a_table_like_the_old_ones(tmp_path: Path) -> None:
    old = tmp_path / "old.py"
    old.write_text('TEXT_BUDGET = {"telegram": 3800, "zalo": 1900}\n'
                   'GROUP_TEXT_UNITS: dict[str, int] = {"zalo": 2000}\n'
                   'REPLY_WINDOW_H = {"messenger": 24}\n', encoding="utf-8")
    assert _platform_tables(old) == ["TEXT_BUDGET", "GROUP_TEXT_UNITS", "REPLY_WINDOW_H"]
