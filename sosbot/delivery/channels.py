"""What routing needs from a platform adapter (bots/<platform>/outbound.py provides it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sosbot.core.model import Destination
from sosbot.core.rates import RateRule


class Outbound(Protocol):
    """Sends outbox rows to one platform and fetches the media residents sent there."""

    channel: str

    def rate_rules(self, chat_id: str, method: str) -> Sequence[RateRule]:
        """The platform limits one send of ``method`` to ``chat_id`` counts against."""
        ...

    async def send(self, chat_id: str, method: str, payload: dict[str, Any],
                   destination: Destination) -> str | None:
        """Carry out one outbox row; the platform's message id when one was created.
        ``destination`` (the row's column, never the payload) says whether ``chat_id`` is a
        resident's chat or a group chat: a platform with separate APIs for them (Zalo)
        chooses by it."""
        ...

    async def fetch_media(self, file_id: str) -> bytes:
        """The bytes of a file a resident sent."""
        ...
