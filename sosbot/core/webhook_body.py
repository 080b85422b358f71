"""Decoding a webhook body's JSON, refusing what no platform sends.

``json.loads`` alone lets four kinds of hostile body through as something other than a
clean refusal: nesting deep enough to exhaust the interpreter's recursion limit (here, or
later in the parser or the JSON column that stores the payload), integers too long for
Python's digit limit (a ``ValueError`` that is not a ``JSONDecodeError``), the
non-standard ``NaN``/``Infinity`` literals, and number literals past a double's range
(``1e999``, which ``json.loads`` reads as infinity: anywhere in the body, even in a field no
parser reads, PostgreSQL's JSON column refuses it when the payload is stored). Each becomes a
PayloadError (answered 400). Integers of any length under the digit limit stay exact: a
parser that needs a float reads them through ``core.payload_numbers``.
A lone surrogate (``"\\ud800"``, which no UTF-8 can carry) becomes U+FFFD.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from sosbot.core.errors import PayloadError

MAX_DEPTH = 32
"""Platform payloads nest about ten levels deep; anything past this is not one of theirs."""
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def decode_body(body: bytes) -> Any:
    """The JSON value of ``body``; PayloadError when it is not strict JSON of sane depth."""
    try:
        value = json.loads(body, parse_constant=_no_constant, parse_float=_finite_float)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # JSONDecodeError is a ValueError, as is an integer over the digit limit.
        raise PayloadError(f"not JSON: {exc}") from exc
    if _too_deep(value):
        raise PayloadError(f"not a platform payload: nested deeper than {MAX_DEPTH} levels")
    if _SURROGATE_ESCAPE.search(body):
        value = _without_lone_surrogates(value)
    return value


def _without_lone_surrogates(value: Any) -> Any:
    """``value`` with every lone surrogate (from a ``\\ud800`` escape) made U+FFFD: no
    UTF-8 text, column or outgoing message can carry one."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v)
                for k, v in value.items()}
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:40]} is past the range of a double")
    return number


def _too_deep(value: Any) -> bool:
    """Whether containers nest past MAX_DEPTH; iterative, so it cannot recurse too deep."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            return True
        pending.extend((child, depth + 1) for child in children
                       if isinstance(child, dict | list))
    return False
