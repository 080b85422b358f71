"""Secrets taken out of text before it is written to a log.

Two nets, because either alone misses something:

- the exact values this process knows are secret: the environment's tokens (registered at
  start-up) and the tokens it is given while it runs (Zalo's rotated pairs), and
- the shapes of platform secrets, for the values it was never told about: a Telegram bot
  token anywhere, the ``/bot<token>/`` segment of a Bot API URL, a Messenger page token
  (``EAA…``), and the value of any ``access_token`` / ``refresh_token`` field, header or
  query parameter.

Pure text work: no I/O, no logging here (the logging set-up applies it to every record).
"""

from __future__ import annotations

import re
import threading
from urllib.parse import quote, quote_plus

MASK = "[redacted]"
# Shorter values would also mask ordinary words and numbers (a demo's "changeme", a port).
MIN_SECRET_LEN = 8

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # https://api.telegram.org/bot<token>/sendMessage and /file/bot<token>/…
    # (httpx logs the URL with the colon percent-encoded: /bot123%3AAbC…)
    (re.compile(r"/bot\d+(?::|%3A)[^/\s\"'<>]+", re.IGNORECASE), "/bot" + MASK),
    # A bot token on its own, "<bot id>:<35 characters>"
    # (core.telegram.org/bots/api#authorizing-your-bot).
    (re.compile(r"\b\d{5,}(?::|%3A)[A-Za-z0-9_-]{30,}", re.IGNORECASE), MASK),
    # Facebook access tokens (page and user) begin with EAA.
    (re.compile(r"\bEAA[A-Za-z0-9_-]{20,}"), MASK),
    # access_token=…, "access_token": "…", 'refresh_token': '…' (query strings, JSON, dict
    # reprs, header lists): the value goes, the name stays so a reader knows what was there.
    (re.compile(r"""(?ix)
        ((?:access|refresh|page)_?token["']?\s*[=:,]\s*[("']*\s*)   # the name and separator
        (?!\[redacted\])[^\s"'&,;)}\]]+                          # the value
    """), r"\1" + MASK),
)

_lock = threading.Lock()
_known: frozenset[str] = frozenset()
_known_pattern: re.Pattern[str] | None = None


def remember(*values: str | None) -> None:
    """Mask these exact values from now on, wherever they appear (empty or short ones are
    ignored: they are not secrets worth the false matches)."""
    global _known, _known_pattern
    # As written and as URLs carry them (a bot token's colon becomes %3A).
    fresh = {form for value in values if value and len(value) >= MIN_SECRET_LEN
             for form in (value, quote(value, safe=""), quote_plus(value, safe=""))
             if form not in _known}
    if not fresh:
        return
    with _lock:
        _known = _known | fresh
        # Longest first, so a secret containing another is masked whole.
        ordered = sorted(_known, key=len, reverse=True)
        _known_pattern = re.compile("|".join(re.escape(value) for value in ordered))


def forget_all() -> None:
    """Drop every remembered value (tests)."""
    global _known, _known_pattern
    with _lock:
        _known, _known_pattern = frozenset(), None


def redact(text: str) -> str:
    """``text`` with every known secret and every secret-shaped value masked."""
    known = _known_pattern
    if known is not None:
        text = known.sub(MASK, text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
