"""The officers' catalogue and its callers stay in step.

Read from the source (ast), not by running it: every ``officer_text("key", name=…)`` call
names a key that exists and passes exactly the placeholders that text takes; every key is
used by some call; the modules that write to police chats hold no Vietnamese of their own.
"""

from __future__ import annotations

import ast
import re
import string
from dataclasses import dataclass
from pathlib import Path

import pytest

from sosbot.core.officer_texts import EN, VI, officer_labels, officer_text

PACKAGE = Path(__file__).resolve().parents[2] / "sosbot"
VIETNAMESE = re.compile(
    "[ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]",
    re.IGNORECASE)
# Vietnamese words written correctly without a mark.
UNMARKED_WORDS = {"xong", "sai", "tin", "trong", "thanh", "ghi", "gian", "nhan"}
# Vietnamese typed without its marks (what a broken keyboard or a careless copy gives).
# (Only words that are no Vietnamese word without their marks: "huy" is, in "chỉ huy".)
STRIPPED = {"phuong", "khong", "duoc", "nguoi", "tiep", "chua", "hoac", "cua", "nhom", "xu",
            "bao", "gui", "dang"}
# Modules that write to police chats and must take their words from the catalogue; the
# strings they may still hold are names (a unit's name is built from the ward's).
OFFICERS_MODULES = ("officers", "command_centre", "delivery", "routing/escalation.py",
                    "routing/alerts.py", "core/cards.py")
NAMES_ALLOWED = {"Phường ", "Xã ", "Đặc khu ", "Công an "}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass(frozen=True)
class Use:
    where: str
    key: str  # a key, or a family's prefix ending in "."
    family: bool
    values: frozenset[str]


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "emulators" not in p.parts)


def _called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else \
        func.attr if isinstance(func, ast.Attribute) else ""


def _uses() -> list[Use]:
    found = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or \
                    _called(node) not in ("officer_text", "officer_labels") or not node.args:
                continue
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            assert all(k.arg is not None for k in node.keywords), \
                f"{where}: pass an officer text's values by name, never **values"
            values = frozenset(k.arg for k in node.keywords if k.arg and k.arg != "lang")
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                family = _called(node) == "officer_labels"
                found.append(Use(where, first.value, family, values))
            elif isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
                prefix = str(first.values[0].value)
                assert prefix.endswith("."), f"{where}: a family's prefix ends with a dot"
                found.append(Use(where, prefix, True, values))
            else:
                pytest.fail(f"{where}: an officer text's key is a literal or f\"family.{{…}}\"")
    return found


USES = _uses()


def test_the_catalogue_is_used_from_every_module_that_writes_to_officers() -> None:
    modules = {use.where.split(":")[0] for use in USES}
    assert len(modules) >= 10, sorted(modules)


def test_every_key_used_exists() -> None:
    for use in USES:
        if use.family:
            assert any(key.startswith(use.key) for key in VI), f"{use.where}: {use.key}*"
        else:
            assert use.key in VI, f"{use.where}: no officers' text {use.key!r}"


def test_every_key_is_used() -> None:
    unused = [key for key in VI
              if not any(key == use.key or (use.family and key.startswith(use.key))
                         for use in USES)]
    assert unused == [], f"officers' texts nobody writes: {unused}"


def test_every_call_passes_exactly_the_placeholders_of_its_text() -> None:
    for use in USES:
        if use.family:
            for key in (k for k in VI if k.startswith(use.key)):
                # A family's values serve all its members; each member takes some of them.
                assert _fields(VI[key]) <= use.values, f"{use.where}: {key} needs " \
                    f"{sorted(_fields(VI[key]) - use.values)}"
        else:
            assert _fields(VI[use.key]) == use.values, \
                f"{use.where}: {use.key} takes {sorted(_fields(VI[use.key]))}, " \
                f"is given {sorted(use.values)}"


def test_english_texts_are_optional_but_match_the_vietnamese() -> None:
    for key, value in EN.items():
        assert key in VI and _fields(value) == _fields(VI[key]), key


def _words(value: str) -> list[str]:
    """The words of a text, without its placeholders, commands and examples."""
    value = re.sub(r"\{[^}]*\}|/\w+|<[^>]*>|SOS-\d+|\w+:\d+", " ", value)
    return re.findall(r"[^\W\d_]+", value)


def test_vietnamese_is_written_with_diacritics() -> None:
    for key, value in VI.items():
        words = _words(value)
        stripped = [w for w in words if w.lower() in STRIPPED]
        assert not stripped, f"{key}: {stripped} lack their diacritics in {value!r}"
        if words and not VIETNAMESE.search(value):
            assert {w.lower() for w in words} <= UNMARKED_WORDS, \
                f"{key}: {value!r} reads as Vietnamese typed without diacritics"


def _inline_vietnamese(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
    return [f"{path.name}:{node.lineno} {node.value!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and VIETNAMESE.search(node.value)
            and node.value not in NAMES_ALLOWED]


def test_modules_writing_to_officers_hold_no_inline_vietnamese() -> None:
    paths = [p for name in OFFICERS_MODULES for p in
             ((PACKAGE / name).glob("*.py") if (PACKAGE / name).is_dir() else [PACKAGE / name])]
    assert len(paths) > 10
    inline = [line for path in paths for line in _inline_vietnamese(path)]
    assert inline == [], "officers' texts belong in core/officer_texts.py:\n" + \
        "\n".join(inline)


def test_texts_render_with_their_values() -> None:
    assert officer_text("ack.done.acknowledged", unit="Công an phường Tân Phú",
                        code="SOS-260001") == \
        "✅ Đã ghi nhận: Công an phường Tân Phú tiếp nhận SOS-260001."
    assert officer_text("card.button_acknowledge", lang="en") == "✅ Tiếp nhận"  # no English
    assert officer_labels("bulletin.state.")["draft"] == "là bản nháp"
    with pytest.raises(KeyError):
        officer_text("no.such.text")
    with pytest.raises(KeyError):
        officer_text("card.status")  # its value is missing
    with pytest.raises(ValueError, match="dot"):
        officer_labels("bulletin.state")
