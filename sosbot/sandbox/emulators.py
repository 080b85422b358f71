"""The sandbox's client for the three emulators' control APIs (``/_emu/``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

PLATFORMS = ("telegram", "zalo", "messenger")


class EmulatorRefused(Exception):
    """An emulator answered a control call with an error."""

    def __init__(self, platform: str, status: int, detail: str) -> None:
        super().__init__(f"{platform} emulator: {status} {detail}")
        self.platform = platform
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class EmulatorUrls:
    """Where each emulator listens, and the demo bot's Telegram token."""

    telegram: str
    zalo: str
    messenger: str
    telegram_token: str

    def base(self, platform: str) -> str:
        return str(getattr(self, platform)).rstrip("/")


class Emulators:
    """JSON calls to ``/_emu/`` on each emulator, over one HTTP session."""

    def __init__(self, urls: EmulatorUrls) -> None:
        self.urls = urls
        self._http: aiohttp.ClientSession | None = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def get(self, platform: str, path: str) -> Any:
        return await self._call(platform, "GET", path, None)

    async def post(self, platform: str, path: str, body: dict[str, Any]) -> Any:
        return await self._call(platform, "POST", path, body)

    async def _call(self, platform: str, method: str, path: str,
                    body: dict[str, Any] | None) -> Any:
        url = f"{self.urls.base(platform)}{path}"
        async with self.http.request(method, url, json=body) as response:
            if response.status != 200:
                detail = await response.text()
                raise EmulatorRefused(platform, response.status, detail[:300])
            return await response.json()

    async def fetch(self, url: str) -> tuple[bytes, str]:
        """The bytes behind a media URL that one of the emulators serves."""
        if not any(url.startswith(self.urls.base(p) + "/") for p in PLATFORMS):
            raise EmulatorRefused("media", 403, "not an emulator URL")
        async with self.http.get(url) as response:
            if response.status != 200:
                raise EmulatorRefused("media", response.status, "not found")
            return await response.read(), response.content_type

    def telegram_file_url(self, file_id: str) -> str:
        return f"{self.urls.base('telegram')}/_emu/files/{file_id}"
