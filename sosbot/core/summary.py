"""The summary a resident confirms before a report is sent."""

from __future__ import annotations

from sosbot.core.model import Draft
from sosbot.core.texts import category_label, text


def place_text(draft: Draft, lang: str) -> str:
    """The place as the resident will recognise it: venue, point and accuracy, or address."""
    if draft.location is None:
        return draft.address_text or ""
    loc = draft.location
    parts = [loc.label] if loc.label else []
    parts.append(f"{loc.lat:.5f}, {loc.lon:.5f}")
    if loc.accuracy_m:
        parts.append(f"({text(lang, 'accuracy', meters=round(loc.accuracy_m))})")
    if draft.address_text:
        parts.append(f"— {draft.address_text}")
    return " ".join(parts)


def render_summary(draft: Draft, lang: str) -> str:
    assert draft.category is not None
    return text(
        lang, "summary",
        category=category_label(lang, draft.category),
        place=place_text(draft, lang),
        description=draft.description or text(lang, "no_description"),
        media_count=len(draft.media),
    )
