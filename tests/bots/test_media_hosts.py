"""The media-host policy (issue 18, item 4): which URLs and addresses residents' media may
come from. Pure checks; the fetching under these rules is in test_media_fetch.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import sosbot.bots.messenger.inbound as messenger_inbound
import sosbot.bots.zalo.inbound as zalo_inbound
from sosbot.bots.media_hosts import (
    MESSENGER_MEDIA_HOSTS,
    ZALO_MEDIA_HOSTS,
    MediaHostPolicy,
    media_host_entry,
    public_address,
)
from sosbot.config import ChannelsConfig
from sosbot.core.errors import MediaRefused, PermanentSendError
from sosbot.core.events import MediaReceived, PlatformEvent

ZALO_FIXTURES = Path(zalo_inbound.__file__).parent / "fixtures"
MESSENGER_FIXTURES = Path(messenger_inbound.__file__).parent / "fixtures"

ZALO = MediaHostPolicy.for_platform("zalo", ZALO_MEDIA_HOSTS, "https://openapi.zalo.me")
EMULATED = MediaHostPolicy.for_platform("zalo", ZALO_MEDIA_HOSTS, "http://127.0.0.1:8081")
MESSENGER = MediaHostPolicy.for_platform("messenger", MESSENGER_MEDIA_HOSTS,
                                         "https://graph.facebook.com")


def test_a_refusal_is_a_permanent_send_error() -> None:
    # media_downloads marks a PermanentSendError failed at once, with no retry.
    assert issubclass(MediaRefused, PermanentSendError)


@pytest.mark.parametrize("url", [
    "https://photo-stal-14.zdn.vn/1f2d9d6c13e4f2b0a5c1/full.jpg",
    "https://gif.zdn.vn/a.gif", "https://s120-ava-talk.zadn.vn/x.jpg",
    "https://dl-files.zalo.me/api/file/bien-ban.pdf", "https://ZDN.VN./upper.jpg",
    "https://video.zdn.vn:443/clip.mp4",
])
def test_zalo_cdn_urls_are_allowed(url: str) -> None:
    assert ZALO.check_url(url).scheme == "https"


@pytest.mark.parametrize(("url", "why"), [
    ("http://127.0.0.1:8081/redir", "not a media host"),  # the reported attack
    ("http://169.254.169.254/latest/meta-data/", "not a media host"),
    ("http://10.0.0.5/x.jpg", "not a media host"),
    ("http://[::1]/x.jpg", "not a media host"),
    ("http://localhost/x.jpg", "not a media host"),
    ("https://evilzdn.vn/x.jpg", "not a media host"),  # a suffix only at a dot
    ("https://zdn.vn.evil.example/x.jpg", "not a media host"),
    ("https://zdn.vn@127.0.0.1/x.jpg", "credentials"),
    ("http://photo-stal-14.zdn.vn/x.jpg", "plain http"),  # https only in production
    ("file:///etc/passwd", "not an http"),
    ("gopher://zdn.vn/x", "not an http"),
    ("https://0x7f.1/x.jpg", "not a media host"),
    ("not a url", "not an http"),
])
def test_other_urls_are_refused(url: str, why: str) -> None:
    with pytest.raises(MediaRefused, match=why):
        ZALO.check_url(url)


def test_the_emulator_is_allowed_by_its_exact_origin_only() -> None:
    assert EMULATED.check_url("http://127.0.0.1:8081/_emu/files/f1").port == 8081
    for other in ("http://127.0.0.1:8082/_emu/files/f1", "http://localhost:8081/x",
                  "https://127.0.0.1:8081/x", "http://127.0.0.2:8081/x"):
        with pytest.raises(MediaRefused):
            EMULATED.check_url(other)
    # An http API base (the emulator) lets the CDN hosts be reached over http too.
    assert EMULATED.check_url("http://photo-stal-14.zdn.vn/x.jpg").scheme == "http"


def test_messenger_cdn_urls_are_allowed() -> None:
    for url in ("https://scontent.xx.fbcdn.net/v/t1.15752-9/1.jpg",
                "https://cdn.fbsbx.com/v/t59.2708-21/468456_n.pdf",
                "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"):
        MESSENGER.check_url(url)
    with pytest.raises(MediaRefused):
        MESSENGER.check_url("https://photo-stal-14.zdn.vn/x.jpg")  # Zalo's, not Meta's


@pytest.mark.parametrize(("folder", "parse", "policy"), [
    (ZALO_FIXTURES, zalo_inbound.parse, ZALO),
    (MESSENGER_FIXTURES, messenger_inbound.parse, MESSENGER),
], ids=["zalo", "messenger"])
def test_every_media_url_in_the_fixtures_is_allowed(
        folder: Path, parse: Callable[[bytes], list[PlatformEvent]],
        policy: MediaHostPolicy) -> None:
    """The defaults admit every file a documented payload carries (the fixtures' sources
    are the platforms' own examples)."""
    urls = [event.media.file_id for path in sorted(folder.glob("*.json"))
            for event in parse(path.read_bytes()) if isinstance(event, MediaReceived)]
    assert len(urls) >= 5
    for url in urls:
        policy.check_url(url)


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.8.8", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "0.0.0.0", "224.0.0.1", "239.255.255.250", "255.255.255.255",
    "198.18.0.1", "192.0.2.1", "240.0.0.1",
    "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1", "2001:db8::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::1", "64:ff9b::a9fe:a9fe",
])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not public_address(address)
    with pytest.raises(MediaRefused, match="not a public address"):
        ZALO.check_addresses("photo-stal-14.zdn.vn", 443, [address])


@pytest.mark.parametrize("address", ["8.8.8.8", "203.113.1.10", "2606:4700::1111",
                                     "2a03:2880:f10d:83:face:b00c::25de"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert public_address(address)
    ZALO.check_addresses("photo-stal-14.zdn.vn", 443, [address])


def test_one_bad_address_among_good_ones_refuses_the_host() -> None:
    with pytest.raises(MediaRefused):
        ZALO.check_addresses("photo-stal-14.zdn.vn", 443, ["8.8.8.8", "127.0.0.1"])
    with pytest.raises(MediaRefused, match="no address"):
        ZALO.check_addresses("photo-stal-14.zdn.vn", 443, [])


def test_loopback_is_allowed_only_for_the_emulators_host_and_port() -> None:
    EMULATED.check_addresses("127.0.0.1", 8081, ["127.0.0.1"])
    with pytest.raises(MediaRefused):
        EMULATED.check_addresses("127.0.0.1", 8082, ["127.0.0.1"])
    local = MediaHostPolicy.for_platform("zalo", ["zdn.vn"], "http://localhost:8081")
    local.check_addresses("localhost", 8081, ["127.0.0.1", "::1"])
    with pytest.raises(MediaRefused):
        local.check_addresses("localhost", 9000, ["127.0.0.1"])


@pytest.mark.parametrize("entry", ["https://zdn.vn", "zdn.vn:443", "zdn.vn/x", "*.zdn.vn",
                                   "127.0.0.1", "::1", "", "-bad.vn", "a b.vn"])
def test_bad_allow_list_entries_are_refused(entry: str) -> None:
    with pytest.raises(ValueError):
        media_host_entry(entry)


def test_the_setting_is_validated_and_normalised() -> None:
    channels = ChannelsConfig.model_validate(
        {"zalo": {"media_hosts": ["ZDN.vn.", "media.example.vn"]}})
    assert channels.zalo.media_hosts == ["zdn.vn", "media.example.vn"]
    assert ChannelsConfig().messenger.media_hosts == list(MESSENGER_MEDIA_HOSTS)
    with pytest.raises(ValueError, match="media_hosts.0"):
        ChannelsConfig.model_validate({"messenger": {"media_hosts": ["http://fbcdn.net"]}})
