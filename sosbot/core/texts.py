"""Every text a resident sees, in Vietnamese (the default) and English.

The texts live by when a resident reads them: writing a report (``draft_texts``), once it
is filed (``filed_report_texts``), the safety bulletins (``bulletin_texts``), the channel
itself (``channel_texts``). Here they are joined into one catalog per language, and read
with :func:`text`; a test checks that both languages have every key and the same
placeholders, and that no key is written in two places.
"""

from __future__ import annotations

from sosbot.core import bulletin_texts, channel_texts, draft_texts, filed_report_texts
from sosbot.core.model import Category

DEFAULT_LANG = "vi"
LANGUAGES = ("vi", "en")

#: The modules the catalogs are joined from (a key in one of them only).
PARTS = (draft_texts, filed_report_texts, bulletin_texts, channel_texts)

VI: dict[str, str] = {key: value for part in PARTS for key, value in part.VI.items()}
EN: dict[str, str] = {key: value for part in PARTS for key, value in part.EN.items()}

CATALOGS: dict[str, dict[str, str]] = {"vi": VI, "en": EN}


def text(lang: str, key: str, **params: object) -> str:
    """The text ``key`` in ``lang`` (falling back to Vietnamese), formatted with ``params``."""
    catalog = CATALOGS.get(lang, VI)
    return catalog[key].format(**params) if params else catalog[key]


def category_label(lang: str, category: Category) -> str:
    return text(lang, f"category.{category.value}")


def normalize_lang(code: str | None) -> str | None:
    """Map a platform language code ("en-US", "vi") to a supported language, if any."""
    if not code:
        return None
    short = code.split("-")[0].split("_")[0].lower()
    return short if short in CATALOGS else None
