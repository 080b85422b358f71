"""Which URLs a resident's photo or video may be fetched from: the platform's media hosts.

Zalo and Messenger hand us a URL for every photo, video or file a resident sends, and we
download it. The URL comes out of a webhook body, so it is only as trustworthy as that
body: a signed delivery carrying ``http://127.0.0.1:…/`` or ``http://169.254.169.254/``
must not make the worker fetch an internal page and post it to police chats (issue 18).

A URL is fetched only when
- its host is one of the platform's media hosts (a configured list of domain suffixes:
  ``zdn.vn`` admits ``photo-stal-14.zdn.vn``), on https — plain http only when the
  platform's configured API base is itself http (the emulators in tests and the demo);
- or its origin is exactly the configured API base's (scheme, host and port): the
  emulators serve residents' files from the address the adapter already talks to;
- and every address its host resolves to is a public unicast one (no loopback, private,
  link-local, CGNAT, multicast, reserved or unspecified address, IPv4 hidden in IPv6
  included), except for the configured API base's exact host and port.

This module decides; :mod:`sosbot.bots.media_fetch` does the fetching under these rules.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from yarl import URL

from sosbot.core.errors import MediaRefused

# Hosts seen in real payloads (the fixtures in bots/zalo/fixtures and bots/messenger/fixtures,
# taken from the platforms' documented examples): Zalo serves photos from
# photo-stal-*.zdn.vn, GIFs from gif.zdn.vn, voice from voice-aac.zdn.vn, video from
# video.zdn.vn, stickers and avatars from *.zadn.vn, files from dl-files.zalo.me; its OAuth
# host is oauth.zaloapp.com. Messenger serves photos and video from scontent.xx.fbcdn.net /
# video.xx.fbcdn.net, files from cdn.fbsbx.com (lookaside.fbsbx.com redirects to fbcdn.net).
ZALO_MEDIA_HOSTS: tuple[str, ...] = ("zdn.vn", "zadn.vn", "zalo.me", "zaloapp.com")
MESSENGER_MEDIA_HOSTS: tuple[str, ...] = ("fbcdn.net", "fbsbx.com", "facebook.com")

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOST_NAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def media_host_entry(value: str) -> str:
    """One allow-list entry, normalised (``ZDN.vn.`` → ``zdn.vn``); ValueError when it is
    not a bare host name (a scheme, port, path, wildcard or IP address)."""
    entry = value.strip().lower().rstrip(".")
    if not _HOST_NAME.match(entry) or len(entry) > 253:
        raise ValueError(f"{value!r} is not a host name (write e.g. zdn.vn, without "
                         f"scheme, port or path)")
    if re.fullmatch(r"[0-9.]+", entry):
        raise ValueError(f"{value!r} is an IP address; list host names only")
    return entry


def public_address(address: str | IPAddress) -> bool:
    """Whether ``address`` is a public unicast address, looking through IPv4-mapped,
    6to4, Teredo and NAT64 IPv6 addresses at the IPv4 address they carry."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    carried: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            carried.append(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            carried.append(ip.sixtofour)
        if ip.teredo is not None:
            carried.extend(ip.teredo)
        if ip in _NAT64:
            carried.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return all(a.is_global and not a.is_multicast and not a.is_reserved for a in carried)


def _bare(host: str) -> str:
    return host.lower().rstrip(".")


@dataclass(frozen=True)
class MediaHostPolicy:
    """The rules one platform's media downloads follow (see the module docstring)."""

    platform: str
    hosts: tuple[str, ...]
    api_scheme: str
    api_host: str
    api_port: int | None

    @classmethod
    def for_platform(cls, platform: str, hosts: Iterable[str],
                     api_base: str) -> MediaHostPolicy:
        """The policy for ``platform``, whose API (or emulator) is at ``api_base``."""
        base = URL(api_base)
        if base.scheme not in ("http", "https") or not base.raw_host:
            raise ValueError(f"{platform} api base must be an http(s) URL: {api_base!r}")
        return cls(platform, tuple(media_host_entry(h) for h in hosts), base.scheme,
                   _bare(base.raw_host), base.port)

    @property
    def allow_http(self) -> bool:
        """Plain http only against an http API base (an emulator), never in production."""
        return self.api_scheme == "http"

    def is_api_origin(self, host: str, port: int | None) -> bool:
        """Whether ``host:port`` is exactly the configured API base's."""
        return _bare(host) == self.api_host and port == self.api_port

    def check_url(self, url: str | URL) -> URL:
        """The parsed URL when it may be fetched; MediaRefused (saying why) otherwise."""
        try:
            parsed = url if isinstance(url, URL) else URL(url)
        except (ValueError, TypeError) as exc:
            raise MediaRefused(f"{self.platform}: not a URL") from exc
        host = _bare(parsed.raw_host or "")
        if parsed.scheme not in ("http", "https") or not host:
            raise MediaRefused(f"{self.platform}: not an http(s) URL")
        if parsed.user is not None or parsed.password is not None:
            raise MediaRefused(f"{self.platform}: URL with credentials")
        if self.is_api_origin(host, parsed.port):
            if parsed.scheme != self.api_scheme:
                raise MediaRefused(f"{self.platform}: {parsed.scheme} to the API host")
            return parsed
        if not any(host == entry or host.endswith("." + entry) for entry in self.hosts):
            raise MediaRefused(f"{self.platform}: {host} is not a media host")
        if parsed.scheme != "https" and not self.allow_http:
            raise MediaRefused(f"{self.platform}: plain http to {host}")
        return parsed

    def check_addresses(self, host: str, port: int, addresses: Iterable[str]) -> None:
        """MediaRefused when ``host`` resolved to any non-public address (unless it is the
        API base's host and port) or to none."""
        if self.is_api_origin(host, port):
            return
        found = list(addresses)
        if not found:
            raise MediaRefused(f"{self.platform}: {_bare(host)} has no address")
        for address in found:
            if not public_address(address):
                raise MediaRefused(f"{self.platform}: {_bare(host)} resolves to {address}, "
                                   f"not a public address")
