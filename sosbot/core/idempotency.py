"""The idempotency key of the send under way, for the platform clients to put on their calls.

The delivery code knows which outbox row a send is for; the platform clients, several calls
deep, make the HTTP requests. A context variable carries the row's key between them without
threading it through every send helper. Each HTTP call of one send gets its own key (the
row's key, then ``.1``, ``.2`` …), the same sequence on every retry of that send.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

HEADER = "Idempotency-Key"


@dataclass
class _Send:
    key: str
    calls: int = 0


_current: ContextVar[_Send | None] = ContextVar("sosbot_idempotency", default=None)


@contextmanager
def sending(key: str | None) -> Iterator[None]:
    """Mark the HTTP calls made inside as parts of the send keyed ``key`` (None: no key)."""
    token = _current.set(_Send(key) if key else None)
    try:
        yield
    finally:
        _current.reset(token)


def next_call_key() -> str | None:
    """The key for the next HTTP call of the send under way (None outside a keyed send)."""
    send = _current.get()
    if send is None:
        return None
    key = send.key if send.calls == 0 else f"{send.key}.{send.calls}"
    send.calls += 1
    return key


def headers() -> dict[str, str]:
    """``{"Idempotency-Key": …}`` for the next call of a keyed send, else nothing."""
    key = next_call_key()
    return {HEADER: key} if key else {}
