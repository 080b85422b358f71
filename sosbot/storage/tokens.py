"""Rotating platform tokens in the database (the ``platform_token`` table).

The Zalo refresh token is single-use, so the pair is written with a compare-and-swap on
``version``: a writer that read an older version changes nothing. Database calls run on a
worker thread so the event loop never blocks on them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import select

from sosbot.core.tokens import TokenPair
from sosbot.storage.db import transaction
from sosbot.storage.tables import PlatformToken

log = logging.getLogger(__name__)


def _utc(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


class DbTokenStore:
    """The token pair of one channel, shared by every process through the database."""

    def __init__(self, engine: Engine, channel: str = "zalo",
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine = engine
        self.channel = channel
        self.clock = clock

    async def load(self) -> TokenPair | None:
        """The stored pair, or None when none was seeded."""
        return await asyncio.to_thread(self._load)

    async def save(self, pair: TokenPair, expected_version: int) -> bool:
        """Store ``pair`` as version ``expected_version + 1`` if the row is still at
        ``expected_version``; False otherwise (or when nothing was seeded)."""
        return await asyncio.to_thread(self._save, pair, expected_version)

    def _load(self) -> TokenPair | None:
        with transaction(self.engine) as session:
            row = session.get(PlatformToken, self.channel)
            if row is None:
                return None
            return TokenPair(access_token=row.access_token, refresh_token=row.refresh_token,
                             access_expires_at=row.access_expires_at.timestamp(),
                             version=row.version)

    def _save(self, pair: TokenPair, expected_version: int) -> bool:
        with transaction(self.engine) as session:
            row = session.exec(
                select(PlatformToken).where(PlatformToken.channel == self.channel)
                .with_for_update()
            ).first()
            if row is None or row.version != expected_version:
                log.warning("%s token not saved: stored version %s, expected %s", self.channel,
                            None if row is None else row.version, expected_version)
                return False
            row.access_token = pair.access_token
            row.refresh_token = pair.refresh_token
            row.access_expires_at = _utc(pair.access_expires_at)
            row.version = expected_version + 1
            row.updated_at = self.clock()
            session.add(row)
            return True


def seed(engine: Engine, channel: str, refresh_token: str, now: datetime) -> int:
    """Store a refresh token an administrator obtained (``sosbot zalo-token --set``).

    The access token is left empty and already expired, so the first send refreshes.
    Returns the new version; the version only grows, so a worker that read the old pair
    cannot overwrite the seeded one.
    """
    if not refresh_token.strip():
        raise ValueError("the refresh token is empty")
    with transaction(engine) as session:
        row = session.exec(
            select(PlatformToken).where(PlatformToken.channel == channel).with_for_update()
        ).first()
        if row is None:
            row = PlatformToken(channel=channel, access_token="",
                                refresh_token=refresh_token.strip(), access_expires_at=now,
                                version=0, updated_at=now)
        else:
            row.access_token = ""
            row.refresh_token = refresh_token.strip()
            row.access_expires_at = now
            row.version += 1
            row.updated_at = now
        session.add(row)
        session.flush()
        log.info("%s refresh token seeded (version %s)", channel, row.version)
        return row.version
