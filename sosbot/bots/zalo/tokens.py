"""Zalo OA access tokens: refreshed ahead of expiry, once at a time, never reusing a
refresh token.

The access token lives 25 hours. The refresh token that comes with it is single-use: each
refresh (``POST {oauth_base}/v4/oa/access_token``) returns a new pair and the old refresh
token is dead. So a refresh is done under a lock shared by every worker, the store is
read again inside the lock (another worker may have refreshed already), and the new pair
is saved (compare-and-swap on a version number) before it is used. When Zalo refuses the
refresh token, only an administrator can help: ``sosbot zalo-token --set`` seeds a new one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp

from sosbot.core import redaction
from sosbot.core.errors import PermanentSendError, TemporarySendError
from sosbot.core.tokens import TokenPair, TokenStore

log = logging.getLogger(__name__)

DEFAULT_OAUTH_BASE = "https://oauth.zaloapp.com"
ACCESS_TOKEN_PATH = "/v4/oa/access_token"
DEFAULT_LIFETIME_S = 25 * 3600.0
SEED_HINT = "an administrator must seed a new one with `sosbot zalo-token --set`"

LockFactory = Callable[[], AbstractAsyncContextManager[Any]]


class TokenManager:
    """Hands out a valid access token; refreshes it ahead of expiry or when Zalo says -216.

    ``lock`` makes a fresh lock context for each refresh; it must exclude every other
    worker (in production a Redis lock). One refresh at a time also within this process.
    """

    def __init__(
        self,
        store: TokenStore,
        lock: LockFactory,
        *,
        app_id: str,
        app_secret: str,
        oauth_base: str = DEFAULT_OAUTH_BASE,
        refresh_ahead_s: float = 3600.0,
        timeout_s: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.lock = lock
        self.app_id = app_id
        self.app_secret = app_secret
        self.oauth_base = oauth_base.rstrip("/")
        self.refresh_ahead_s = refresh_ahead_s
        self.timeout_s = timeout_s
        self.clock = clock
        self.refreshes = 0  # refresh tokens this manager spent (for logs and tests)
        self._pair: TokenPair | None = None
        self._local: asyncio.Lock | None = None
        self._session: aiohttp.ClientSession | None = None

    async def access_token(self) -> str:
        """A token to call the OA API with, refreshed first when it is about to expire."""
        pair = self._pair
        if pair is None:
            pair = self._pair = await self.store.load()
            if pair is not None:
                redaction.remember(pair.access_token, pair.refresh_token)
        if pair is not None and self._fresh(pair):
            return pair.access_token
        return (await self._renew(rejected=None)).access_token

    async def refresh(self, rejected: str) -> str:
        """A token other than ``rejected``, which Zalo just refused (-216/-220)."""
        return (await self._renew(rejected=rejected)).access_token

    async def close(self) -> None:
        """Close the HTTP session used for OAuth calls."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _fresh(self, pair: TokenPair) -> bool:
        return bool(pair.access_token) and \
            pair.access_expires_at - self.clock() > self.refresh_ahead_s

    def _usable(self, pair: TokenPair, rejected: str | None) -> bool:
        if rejected is None:
            return self._fresh(pair)
        return bool(pair.access_token) and pair.access_token != rejected \
            and pair.access_expires_at > self.clock()

    async def _renew(self, rejected: str | None) -> TokenPair:
        if self._local is None:
            self._local = asyncio.Lock()
        async with self._local:
            cached = self._pair
            if cached is not None and self._usable(cached, rejected):
                return cached  # refreshed by another coroutine while this one waited
            async with self.lock():
                current = await self.store.load()
                if current is None:
                    raise PermanentSendError(f"no Zalo token is stored: {SEED_HINT}")
                redaction.remember(current.access_token, current.refresh_token)
                if self._usable(current, rejected):
                    self._pair = current  # another worker refreshed it
                    return current
                fresh = await self._exchange(current)
                if not await self.store.save(fresh, current.version):
                    # Only possible if the lock expired under us: the new pair is lost.
                    log.error("zalo token store moved from version %s during a refresh; "
                              "the pair just issued could not be saved", current.version)
                    raise TemporarySendError("zalo token store changed during refresh")
                self._pair = fresh
                log.info("zalo access token refreshed (version %s, valid %.0f s)",
                         fresh.version, fresh.access_expires_at - self.clock())
                return fresh

    async def _exchange(self, current: TokenPair) -> TokenPair:
        """Spend ``current.refresh_token`` for a new pair (the one call that uses it)."""
        self.refreshes += 1
        form = {"refresh_token": current.refresh_token, "app_id": self.app_id,
                "grant_type": "refresh_token"}
        url = self.oauth_base + ACCESS_TOKEN_PATH
        try:
            async with self._http().post(url, data=form,
                                         headers={"secret_key": self.app_secret}) as resp:
                if resp.status >= 500:
                    raise TemporarySendError(f"zalo oauth answered HTTP {resp.status}")
                body = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            # The refresh token may or may not be spent now; nothing can tell.
            log.warning("zalo oauth call failed: %r", exc)
            raise TemporarySendError(f"zalo oauth call failed: {exc!r}") from exc
        if not isinstance(body, dict):
            raise TemporarySendError("zalo oauth answered something that is not an object")
        access, refresh = body.get("access_token"), body.get("refresh_token")
        # Masked in every log line from now on, before anything can print them.
        redaction.remember(access if isinstance(access, str) else None,
                           refresh if isinstance(refresh, str) else None)
        if not isinstance(access, str) or not access or not isinstance(refresh, str) \
                or not refresh:
            reason = body.get("error_description") or body.get("error_reason") \
                or body.get("message") or "no token in the answer"
            log.error("zalo refused the refresh token: %s (%s)", reason, body.get("error"))
            raise PermanentSendError(
                f"Zalo refused the refresh token ({body.get('error')}: {reason}); {SEED_HINT}")
        return TokenPair(access_token=access, refresh_token=refresh,
                         access_expires_at=self.clock() + _lifetime(body.get("expires_in")),
                         version=current.version + 1)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout_s))
        return self._session


def _lifetime(value: Any) -> float:
    """``expires_in`` in seconds; Zalo sends it as a string ("90000")."""
    if isinstance(value, bool):
        return DEFAULT_LIFETIME_S
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return DEFAULT_LIFETIME_S
    return seconds if seconds > 0 else DEFAULT_LIFETIME_S
