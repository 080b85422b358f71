"""Text lengths as the platforms count them: in UTF-16 code units.

Telegram documents its limits in characters "after entities parsing" and counts entity
offsets in UTF-16 code units; Messenger counts in UTF-16 too. Whether Telegram's 4096 counts
code points or UTF-16 units is not settled in its documentation (docs/platforms/telegram.md),
so sosbot cuts in UTF-16 units, which is within the limit under either reading: an emoji
outside the Basic Multilingual Plane counts twice.
"""

from __future__ import annotations

ELLIPSIS = "…"


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (counted by the codec, in C: every text sent
    is measured; a lone surrogate counts one unit, as it is one)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def truncate_utf16(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-16 units, ending with an ellipsis when cut.

    The cut never splits a surrogate pair (it works on code points)."""
    if utf16_len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    room = limit - 1  # the ellipsis is one unit
    kept: list[str] = []
    used = 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        if used + width > room:
            break
        kept.append(ch)
        used += width
    return "".join(kept).rstrip() + ELLIPSIS
