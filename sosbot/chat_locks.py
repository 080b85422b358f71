"""Per-chat serialisation inside one web process: updates of a chat are handled in arrival order.

``asyncio.Lock`` wakes waiters first-in first-out, so holding the chat's lock until an
update is handed to the intake writer, which stores deliveries in the order they are handed
over, keeps a resident's messages in the order they arrived (and lets two of them share a
batch). Across processes the conversation row lock in the database does the same job.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
