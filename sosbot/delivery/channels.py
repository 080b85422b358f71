"""What delivery needs from a platform adapter (bots/<platform>/outbound.py provides it):
the resident side every platform has (``core.senders.ResidentSender``), the group side
where the platform has group chats (``core.senders.GroupSender``), and the download of
what residents sent."""

from __future__ import annotations

from typing import Protocol

from sosbot.core.senders import ResidentSender


class Outbound(ResidentSender, Protocol):
    """Sends outbox rows to one platform and fetches the media residents sent there."""

    async def fetch_media(self, file_id: str) -> bytes:
        """The bytes of a file a resident sent."""
        ...

    async def close(self) -> None:
        """Let go of the HTTP connections (a worker stopping)."""
        ...
