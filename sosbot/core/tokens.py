"""Rotating platform credentials: the pair and where it is kept (a protocol storage fulfils)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class TokenPair:
    """An access token, the refresh token issued with it, and the stored version."""

    access_token: str
    refresh_token: str
    access_expires_at: float  # epoch seconds
    version: int = 0


class TokenStore(Protocol):
    """Durable home of the current pair, shared by every worker."""

    async def load(self) -> TokenPair | None:
        """The current pair, or None before an administrator seeded one."""
        ...

    async def save(self, pair: TokenPair, expected_version: int) -> bool:
        """Replace the pair stored at ``expected_version`` by ``pair`` (stored with version
        ``expected_version + 1``); False, changing nothing, if the version moved on."""
        ...
