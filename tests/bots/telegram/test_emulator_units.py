"""Unit tests of the emulator's building blocks: limiters, HTML parsing, bodies, webhooks."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from sosbot.emulators.common.ratelimit import (
    SlidingWindowLimiter,
    TokenBucketLimiter,
    retry_after_seconds,
)
from sosbot.emulators.common.request_body import ParamError, Params, read_params
from sosbot.emulators.common.webhook import DeliveryOutcome, WebhookSender
from sosbot.emulators.telegram.app import parse_bot
from sosbot.emulators.telegram.html_text import HtmlParseError, parse_html, utf16_len
from sosbot.emulators.telegram.messages import detect_entities
from tests.conftest import closed_port


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- rate limiters -------------------------------------------------------------------------


def test_sliding_window_allows_limit_then_reports_wait() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(3, 60.0, clock)
    assert [limiter.try_acquire("g") for _ in range(3)] == [0.0, 0.0, 0.0]
    clock.now += 10
    assert limiter.try_acquire("g") == pytest.approx(50.0)
    assert limiter.try_acquire("other") == 0.0
    clock.now += 50
    assert limiter.try_acquire("g") == 0.0
    assert limiter.count("g") == 1


def test_sliding_window_cost_larger_than_limit_never_fits() -> None:
    limiter = SlidingWindowLimiter(2, 1.0, FakeClock())
    assert math.isinf(limiter.check("k", 3))


def test_token_bucket_burst_then_steady_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucketLimiter(3, 1.0, clock)
    assert [bucket.try_acquire("c") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.try_acquire("c") == pytest.approx(1.0)
    clock.now += 0.5
    assert bucket.try_acquire("c") == pytest.approx(0.5)
    clock.now += 0.5
    assert bucket.try_acquire("c") == 0.0


def test_token_bucket_big_batch_goes_into_debt() -> None:
    clock = FakeClock()
    bucket = TokenBucketLimiter(3, 1.0, clock)
    assert bucket.try_acquire("c", 5) == 0.0
    assert bucket.tokens("c") == pytest.approx(-2.0)
    assert bucket.check("c") == pytest.approx(3.0)


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    assert retry_after_seconds(0.01) == 1
    assert retry_after_seconds(1.0) == 1
    assert retry_after_seconds(1.2) == 2
    assert retry_after_seconds(math.inf) >= 1


# -- HTML parse mode -----------------------------------------------------------------------


def test_html_to_text_and_entities() -> None:
    text, entities = parse_html(
        '<b>Bold <i>both</i></b> &lt;x&gt; &amp; &#65;&#x42; <a href="https://t.me/x?a=1&amp;b=2">'
        'link</a> <span class="tg-spoiler">s</span> <pre><code class="language-py">p</code></pre>'
    )
    assert text == "Bold both <x> & AB link s p"
    assert entities[0] == {"offset": 0, "length": 9, "type": "bold"}
    assert {"offset": 5, "length": 4, "type": "italic"} in entities
    link = next(e for e in entities if e["type"] == "text_link")
    assert link["url"] == "https://t.me/x?a=1&b=2"
    assert {"offset": 24, "length": 1, "type": "spoiler"} in entities
    assert {"offset": 26, "length": 1, "type": "pre", "language": "py"} in entities
    assert not any(e["type"] == "code" for e in entities)


def test_html_offsets_are_utf16() -> None:
    text, entities = parse_html("\N{POLICE CARS REVOLVING LIGHT} <b>SOS</b>")
    assert utf16_len(text[:2]) == 3
    assert entities == [{"offset": 3, "length": 3, "type": "bold"}]


@pytest.mark.parametrize(
    ("markup", "needle"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("Tom & Jerry", 'unescaped "&" at byte offset 4'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_html_errors(markup: str, needle: str) -> None:
    with pytest.raises(HtmlParseError) as info:
        parse_html(markup)
    assert needle in str(info.value)


def test_detect_entities_finds_commands_and_links() -> None:
    entities = detect_entities("/start@sos_bot hi see https://example.org/a. @police #sos")
    kinds = [(e["type"], e["offset"], e["length"]) for e in entities]
    assert kinds[0] == ("bot_command", 0, 14)
    assert ("url", 22, 21) in kinds
    assert any(k[0] == "mention" for k in kinds)
    assert any(k[0] == "hashtag" for k in kinds)


def test_parse_bot_cli_argument() -> None:
    assert parse_bot("123:ABC").token == "123:ABC"
    spec = parse_bot("123:ABC:sos_bot")
    assert (spec.token, spec.username) == ("123:ABC", "sos_bot")
    assert parse_bot("tok:name").username == "name"


# -- request bodies ------------------------------------------------------------------------


def test_params_coerce_form_strings() -> None:
    params = Params(
        values={"chat_id": "42", "flag": "true", "markup": '{"a": 1}', "lat": "10.5", "n": 3}
    )
    assert params.get_int("chat_id") == 42
    assert params.get_bool("flag") is True
    assert params.get_json("markup") == {"a": 1}
    assert params.get_float("lat") == 10.5
    assert params.get_str("n") == "3"
    with pytest.raises(ParamError):
        params.get_int("missing", required=True)
    with pytest.raises(ParamError):
        Params(values={"x": "abc"}).get_int("x")


async def _echo(request: web.Request) -> web.Response:
    params = await read_params(request)
    files = {name: f.data.decode() for name, f in params.files.items()}
    return web.json_response({"values": params.values, "files": files})


@pytest.fixture
async def echo_url() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/echo", _echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/echo"
    await runner.cleanup()


async def test_read_params_json_form_multipart_and_query(echo_url: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(echo_url + "?q=1", json={"a": [1, 2]}) as resp:
            assert (await resp.json())["values"] == {"q": "1", "a": [1, 2]}
        async with http.post(echo_url, data={"a": "x", "b": "2"}) as resp:
            assert (await resp.json())["values"] == {"a": "x", "b": "2"}
        form = aiohttp.FormData()
        form.add_field("chat_id", "5")
        form.add_field("doc", b"bytes!", filename="a.txt", content_type="text/plain")
        async with http.post(echo_url, data=form) as resp:
            body = await resp.json()
            assert body == {"values": {"chat_id": "5"}, "files": {"doc": "bytes!"}}


# -- webhook sender ------------------------------------------------------------------------


@dataclass
class Sink:
    """A receiver that answers scripted statuses per key and records arrivals."""

    fail_first: dict[str, int] = field(default_factory=dict)
    delay_s: float = 0.0
    arrivals: list[tuple[str, Any]] = field(default_factory=list)
    active: int = 0
    peak: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        key = str(body["key"])
        self.arrivals.append((key, body["n"]))
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.active -= 1
        if self.fail_first.get(key, 0) > 0:
            self.fail_first[key] -= 1
            return web.Response(status=500)
        return web.Response(status=200)


async def _serve(sink: Sink) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/hook", sink.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/hook"


async def test_webhook_sender_retries_in_order_per_key() -> None:
    sink = Sink(fail_first={"a": 2})
    runner, url = await _serve(sink)
    outcomes: list[DeliveryOutcome] = []
    sender = WebhookSender(base_delay_s=0.02, max_retries=5, on_attempt=outcomes.append)
    try:
        futures = [sender.submit_json("a", url, {"key": "a", "n": n}) for n in range(3)]
        assert await asyncio.gather(*futures) == [200, 200, 200]
        assert [n for key, n in sink.arrivals if key == "a"] == [0, 0, 0, 1, 2]
        assert [o.status for o in outcomes[:3]] == [500, 500, 200]
        assert sender.pending == 0
    finally:
        await sender.close()
        await runner.cleanup()


async def test_webhook_sender_gives_up_and_reports_last_status() -> None:
    sink = Sink(fail_first={"x": 100})
    runner, url = await _serve(sink)
    sender = WebhookSender(base_delay_s=0.01, max_retries=2)
    try:
        assert await sender.submit_json("x", url, {"key": "x", "n": 0}) == 500
        assert len(sink.arrivals) == 3
        refused = sender.submit_json("y", f"http://127.0.0.1:{closed_port()}/none",
                                     {"key": "y", "n": 0})
        assert await refused is None
    finally:
        await sender.close()
        await runner.cleanup()


async def test_webhook_sender_concurrency_limit_across_keys() -> None:
    sink = Sink(delay_s=0.05)
    runner, url = await _serve(sink)
    sender = WebhookSender(max_concurrency=2)
    try:
        futures = [sender.submit_json(str(k), url, {"key": k, "n": 0}) for k in range(6)]
        await asyncio.gather(*futures)
        assert sink.peak == 2
    finally:
        await sender.close()
        await runner.cleanup()
