"""Numbers read out of a platform payload: a finite float, or a PayloadError (answered 400).

JSON hands a parser whatever the sender wrote where a number belongs: an integer too large
for a float (``10**400`` is 401 digits, well under Python's digit limit, and ``float()`` of it
raises OverflowError), ``true`` (which ``float()`` and pydantic's lax mode take as 1.0),
``null``, a list, an object, or text. Every parser reads its coordinates through
:func:`finite_number`, so each of these becomes the one documented refusal instead of an
exception that escapes as a 500, or a wrong point taken as a real one.
"""

from __future__ import annotations

import math
import re
from typing import Any

from sosbot.core.errors import PayloadError

_DECIMAL = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?", re.ASCII)
"""A number written in text as Zalo writes its coordinates ("10.7769"): ASCII digits only,
so neither ``1_0`` nor digits of another script (which ``float()`` would both take) pass."""
MAX_TEXT = 64
"""Longer text is not a coordinate: a double has 17 significant digits."""


def finite_number(value: Any, what: str) -> float:
    """``value`` (a JSON number, or a decimal number written as text) as a finite float.

    ``what`` names the field in the error. Raises PayloadError for anything else: a bool,
    null, a container, text that is not a plain decimal number, and any value beyond the
    range of a double (an overflowing integer or text, infinity, NaN).
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PayloadError(f"{what} must be a number, not {_json_type(value)}")
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_TEXT or not _DECIMAL.fullmatch(text):
            raise PayloadError(f"{what} is not a number: {value[:MAX_TEXT]!r}")
        value = text
    try:
        number = float(value)
    except OverflowError:  # an integer past the double range
        raise PayloadError(f"{what} is too large to be a number") from None
    if not math.isfinite(number):
        raise PayloadError(f"{what} is not a finite number")
    return number


def optional_number(value: Any, what: str) -> float | None:
    """Like :func:`finite_number`, with an absent value (None) kept as None."""
    return None if value is None else finite_number(value, what)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
