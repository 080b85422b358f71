"""Residents' media fetched over real HTTP on loopback, under the media-host policy
(issue 18, item 4): an "emulator" server stands for the configured API base, an "internal"
server for what must never be reached; both record every request they get."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from sosbot.bots.media_fetch import MAX_REDIRECTS, AddressRefused, CheckedResolver, MediaFetcher
from sosbot.bots.media_hosts import ZALO_MEDIA_HOSTS, MediaHostPolicy
from sosbot.core.errors import MediaRefused, PermanentSendError

PHOTO = b"\xff\xd8\xff\xe0 a photo from the emulator"
SECRET = b"internal admin page"


@dataclass
class Server:
    base: str
    port: int
    hits: list[str] = field(default_factory=list)


async def _serve(routes: dict[str, web.Response | str]) -> tuple[web.AppRunner, Server]:
    """A server whose paths answer a fixed response, or redirect to a URL (a str)."""
    server = Server("", 0)

    async def handle(request: web.Request) -> web.StreamResponse:
        server.hits.append(request.path)
        answer = routes.get(request.path)
        if answer is None:
            return web.Response(status=404)
        if isinstance(answer, str):
            raise web.HTTPFound(answer.replace("{self}", server.base))
        return web.Response(body=answer.body, content_type=answer.content_type)

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    server.port = runner.addresses[0][1]
    server.base = f"http://127.0.0.1:{server.port}"
    return runner, server


@pytest.fixture
async def internal() -> AsyncIterator[Server]:
    runner, server = await _serve({"/internal": web.Response(body=SECRET),
                                   "/redir": "{self}/internal"})
    yield server
    await runner.cleanup()


@pytest.fixture
async def emulator(internal: Server) -> AsyncIterator[Server]:
    runner, server = await _serve({
        "/_emu/files/f1": web.Response(body=PHOTO, content_type="image/jpeg"),
        "/_emu/hop": "{self}/_emu/files/f1",
        "/_emu/away": f"{internal.base}/internal",
        "/_emu/loop": "{self}/_emu/loop",
    })
    yield server
    await runner.cleanup()


@pytest.fixture
async def fetcher(emulator: Server) -> AsyncIterator[MediaFetcher]:
    """Zalo's fetcher as a worker configured with the emulator as its API base has it."""
    policy = MediaHostPolicy.for_platform("zalo", ZALO_MEDIA_HOSTS, emulator.base)
    fetching = MediaFetcher(policy, max_bytes=1024 * 1024, timeout_s=10)
    yield fetching
    await fetching.close()


async def test_the_configured_emulator_is_fetched_from(fetcher: MediaFetcher,
                                                       emulator: Server) -> None:
    assert await fetcher.fetch(f"{emulator.base}/_emu/files/f1") == PHOTO
    # A redirect that stays on an allowed host is followed (each hop checked).
    assert await fetcher.fetch(f"{emulator.base}/_emu/hop") == PHOTO
    assert emulator.hits == ["/_emu/files/f1", "/_emu/hop", "/_emu/files/f1"]


async def test_the_reported_attack_fetches_nothing(fetcher: MediaFetcher, internal: Server,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """A loopback URL on a server that is not the configured emulator, redirecting to an
    internal page: refused before any connection is made."""
    with pytest.raises(MediaRefused, match="not a media host"):
        await fetcher.fetch(f"{internal.base}/redir")
    assert internal.hits == []
    refusal = [r for r in caplog.records if r.name == "sosbot.bots.media_fetch"]
    assert [r.levelname for r in refusal] == ["WARNING"]


async def test_a_redirect_off_the_allowed_hosts_is_not_followed(
        fetcher: MediaFetcher, emulator: Server, internal: Server) -> None:
    with pytest.raises(MediaRefused, match="not a media host"):
        await fetcher.fetch(f"{emulator.base}/_emu/away")
    assert emulator.hits == ["/_emu/away"] and internal.hits == []


async def test_redirects_are_bounded(fetcher: MediaFetcher, emulator: Server) -> None:
    with pytest.raises(PermanentSendError, match="redirects"):
        await fetcher.fetch(f"{emulator.base}/_emu/loop")
    assert emulator.hits == ["/_emu/loop"] * (MAX_REDIRECTS + 1)


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/x.jpg",
    "http://192.168.1.1/x.jpg", "http://[fe80::1]/x.jpg", "http://[::1]/x.jpg",
    "http://0.0.0.0/x.jpg",
])
async def test_private_and_link_local_literals_are_refused(fetcher: MediaFetcher,
                                                           url: str) -> None:
    with pytest.raises(MediaRefused):
        await fetcher.fetch(url)


async def test_a_name_resolving_to_loopback_is_refused(emulator: Server,
                                                       internal: Server) -> None:
    """Even a name on the allow-list (here an operator's mistaken ``localhost``) is refused
    when it resolves to loopback, unless it is the configured emulator's host and port."""
    policy = MediaHostPolicy.for_platform("zalo", ["localhost"], emulator.base)
    fetching = MediaFetcher(policy, max_bytes=1024 * 1024, timeout_s=10)
    try:
        with pytest.raises(MediaRefused, match="not a public address"):
            await fetching.fetch(f"http://localhost:{internal.port}/internal")
    finally:
        await fetching.close()
    assert internal.hits == []


async def test_the_emulator_by_name_is_allowed_on_its_port_only(emulator: Server,
                                                                internal: Server) -> None:
    policy = MediaHostPolicy.for_platform("zalo", ["localhost"],
                                          f"http://localhost:{emulator.port}")
    fetching = MediaFetcher(policy, max_bytes=1024 * 1024, timeout_s=10)
    try:
        assert await fetching.fetch(f"http://localhost:{emulator.port}/_emu/files/f1") == PHOTO
        with pytest.raises(MediaRefused):
            await fetching.fetch(f"http://localhost:{internal.port}/internal")
    finally:
        await fetching.close()
    assert internal.hits == []


class _PoisonedDns(AbstractResolver):
    """A DNS answer pointing a CDN name at this machine (rebinding, a poisoned cache)."""

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        return [{"hostname": host, "host": "127.0.0.1", "port": port, "family": family,
                 "proto": 0, "flags": 0}]

    async def close(self) -> None:
        return None


async def test_a_cdn_name_resolving_to_this_machine_gets_no_connection(
        emulator: Server, internal: Server) -> None:
    """The address checked is the address aiohttp connects to: the resolver hands the
    connector nothing else, so a changed DNS answer cannot slip past the check."""
    policy = MediaHostPolicy.for_platform("zalo", ZALO_MEDIA_HOSTS, emulator.base)
    resolver = CheckedResolver(policy, _PoisonedDns())
    with pytest.raises(AddressRefused, match="127.0.0.1, not a public address"):
        await resolver.resolve("photo-stal-14.zdn.vn", internal.port)
    fetching = MediaFetcher(policy, max_bytes=1024 * 1024, timeout_s=10, dns=_PoisonedDns())
    try:
        with pytest.raises(MediaRefused, match="not a public address"):
            await fetching.fetch(f"http://photo-stal-14.zdn.vn:{internal.port}/internal")
    finally:
        await fetching.close()
    assert internal.hits == []
