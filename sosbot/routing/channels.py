"""What routing needs from a platform adapter (bots/<platform>/outbound.py provides it)."""

from __future__ import annotations

from typing import Any, Protocol


class Outbound(Protocol):
    """Sends outbox rows to one platform and fetches the media residents sent there."""

    channel: str

    async def send(self, chat_id: str, method: str, payload: dict[str, Any]) -> str | None:
        """Carry out one outbox row; the platform's message id when one was created."""
        ...

    async def fetch_media(self, file_id: str) -> bytes:
        """The bytes of a file a resident sent."""
        ...
