"""UTF-16 lengths, counted by the codec, are the per-character count's."""

from __future__ import annotations

import pytest

from sosbot.core.text_units import truncate_utf16, utf16_len


@pytest.mark.parametrize("text", ["", "abc", "Cháy & khói <tầng 2>", "🔥🔥🔥", "𝕏 và 🚓",
                                  "a\ud800b", "\udfff"])
def test_utf16_length_counts_astral_characters_twice_and_lone_surrogates_once(
        text: str) -> None:
    assert utf16_len(text) == sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def test_a_cut_stays_within_the_units_and_never_splits_a_pair() -> None:
    cut = truncate_utf16("🔥" * 10, 7)
    assert cut == "🔥" * 3 + "…" and utf16_len(cut) == 7
