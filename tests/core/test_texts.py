"""The two catalogs must stay in step: same keys, same placeholders."""

from __future__ import annotations

import string

from sosbot.core.texts import CATALOGS, EN, PARTS, VI, normalize_lang, text


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_exists_in_every_language() -> None:
    keys = {lang: set(catalog) for lang, catalog in CATALOGS.items()}
    assert keys["vi"] == keys["en"]


def test_each_text_is_written_in_one_part_only() -> None:
    # The catalogs are joined from their parts: a key in two parts would be one text
    # silently replacing another.
    for lang in ("VI", "EN"):
        keys = [key for part in PARTS for key in getattr(part, lang)]
        assert len(keys) == len(set(keys)), sorted({k for k in keys if keys.count(k) > 1})


def test_each_part_has_both_languages() -> None:
    for part in PARTS:
        assert set(part.VI) == set(part.EN), part.__name__


def test_placeholders_match_between_languages() -> None:
    for key in VI:
        assert _fields(VI[key]) == _fields(EN[key]), key


def test_vietnamese_is_written_with_diacritics() -> None:
    # A catalog typed without diacritics reads as broken Vietnamese.
    assert "Tai nạn giao thông" == VI["category.traffic"]
    assert all(any(ord(ch) > 127 for ch in value) for key, value in VI.items()
               if len(value) > 40), "every longer Vietnamese text carries diacritics"


def test_unknown_language_falls_back_to_vietnamese() -> None:
    assert text("fr", "button_done") == "Xong"
    assert normalize_lang("en-US") == "en" and normalize_lang("fr") is None
