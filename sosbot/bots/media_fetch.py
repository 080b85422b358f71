"""Downloading a resident's photo or video from the platform's media hosts, and nowhere else.

Every URL, and every redirect hop, is checked against the platform's
:class:`~sosbot.bots.media_hosts.MediaHostPolicy` before a connection is made. Redirects
are followed by hand (at most ``MAX_REDIRECTS``), never by aiohttp. Host names are
resolved by :class:`CheckedResolver`, which hands aiohttp only addresses the policy allows:
aiohttp then connects to exactly those addresses, so a name that resolves to a public
address when checked and to 127.0.0.1 a moment later (DNS rebinding) gets nowhere.

A refused URL raises :class:`~sosbot.core.errors.MediaRefused` (a permanent failure: the
media is marked failed, the report goes on without it) after a WARNING log line naming
the host and the reason, never the resident.
"""

from __future__ import annotations

import logging
import socket

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from sosbot.bots.media_hosts import MediaHostPolicy
from sosbot.core.errors import MediaRefused, PermanentSendError, TemporarySendError

log = logging.getLogger(__name__)

MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 256 * 1024


class AddressRefused(OSError):
    """Raised inside aiohttp's connector: the host resolved to an address we refuse."""

    def __init__(self, refusal: MediaRefused) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


class CheckedResolver(AbstractResolver):
    """DNS resolution that yields only addresses the policy allows (all or nothing)."""

    def __init__(self, policy: MediaHostPolicy, inner: AbstractResolver | None = None) -> None:
        self.policy = policy
        self._inner = inner if inner is not None else DefaultResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        try:
            self.policy.check_addresses(host, port, [r["host"] for r in found])
        except ValueError as exc:  # an address ipaddress cannot read
            raise AddressRefused(MediaRefused(f"{self.policy.platform}: {host} resolves "
                                              f"to an unreadable address")) from exc
        except MediaRefused as exc:
            raise AddressRefused(exc) from exc
        return found

    async def close(self) -> None:
        await self._inner.close()


class MediaFetcher:
    """One platform's media downloads: one aiohttp session whose connector resolves names
    through :class:`CheckedResolver`, created on first use in the running loop."""

    def __init__(self, policy: MediaHostPolicy, *, max_bytes: int, timeout_s: float,
                 connect_timeout_s: float = 5.0, dns: AbstractResolver | None = None) -> None:
        self.policy = policy
        self.dns = dns  # the resolver under the check (aiohttp's default when None)
        self.max_bytes = max_bytes
        self.timeout = aiohttp.ClientTimeout(total=timeout_s, connect=connect_timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def fetch(self, url: str) -> bytes:
        """The bytes behind ``url``; MediaRefused when the URL (or a redirect, or the
        address its host resolves to) is not allowed; Temporary/PermanentSendError as
        the HTTP answer warrants."""
        try:
            return await self._fetch(url)
        except MediaRefused as exc:
            log.warning("media URL refused, not fetched: %s", exc)
            raise

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _fetch(self, url: str) -> bytes:
        target = self.policy.check_url(url)
        for _hop in range(MAX_REDIRECTS + 1):
            location: str | None = None
            try:
                async with self._http().get(target, allow_redirects=False) as resp:
                    if resp.status not in _REDIRECTS:
                        return await self._body(resp)
                    location = resp.headers.get("Location")
            except aiohttp.ClientConnectorDNSError as exc:
                if isinstance(exc.os_error, AddressRefused):
                    raise exc.os_error.refusal from exc
                raise TemporarySendError(f"media download failed: {exc!r}") from exc
            except aiohttp.InvalidURL as exc:
                raise MediaRefused(f"{self.policy.platform}: unusable URL") from exc
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise TemporarySendError(f"media download failed: {exc!r}") from exc
            if not location:
                raise PermanentSendError("media download answered a redirect with no Location")
            try:
                next_url = target.join(URL(location))
            except (ValueError, TypeError) as exc:
                raise MediaRefused(f"{self.policy.platform}: unreadable redirect") from exc
            # Each hop meets the same rules as the first URL: a media host, https, and
            # (in the resolver) a public address.
            target = self.policy.check_url(next_url)
        raise PermanentSendError(f"media download: more than {MAX_REDIRECTS} redirects")

    async def _body(self, resp: aiohttp.ClientResponse) -> bytes:
        if resp.status >= 500 or resp.status == 429:
            raise TemporarySendError(f"media download answered HTTP {resp.status}")
        if resp.status >= 300:
            raise PermanentSendError(f"media download answered HTTP {resp.status}"
                                     + (" (the link may have expired)"
                                        if resp.status >= 400 else ""))
        if (resp.content_length or 0) > self.max_bytes:
            raise PermanentSendError(f"file too big: {resp.content_length} bytes")
        data = bytearray()
        async for chunk in resp.content.iter_chunked(_CHUNK):
            data += chunk
            if len(data) > self.max_bytes:
                raise PermanentSendError(f"file too big: over {self.max_bytes} bytes")
        return bytes(data)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(resolver=CheckedResolver(self.policy, self.dns))
            self._session = aiohttp.ClientSession(connector=connector, timeout=self.timeout,
                                                  cookie_jar=aiohttp.DummyCookieJar())
        return self._session
