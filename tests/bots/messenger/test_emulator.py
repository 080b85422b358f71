"""The Messenger emulator as Meta's side of the webhook: handshake, signature, batches,
retries, and every kind of thing a resident can send, read back through our parser."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from sosbot.core.actions import OutgoingMessage
from sosbot.core.events import (
    ButtonPressed,
    Ignored,
    LocationReceived,
    MediaReceived,
    TextReceived,
    UnsupportedReceived,
)
from sosbot.core.model import Destination, MediaKind
from sosbot.core.outbox_rows import Text

from .harness import APP_SECRET, PAGE_TOKEN, Emu, running_emulator

RESIDENT = Destination.RESIDENT

B64 = base64.b64encode(b"\x00\x00\x00\x18ftypmp42-not-really-a-video").decode()
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLv"
       "AAAAAElFTkSuQmCC")


@pytest.fixture
async def emu() -> AsyncIterator[Emu]:
    async with running_emulator() as running:
        yield running


async def test_body_is_signed_over_escaped_bytes(emu: Emu) -> None:
    psid = await emu.resident()
    result = await emu.say(psid, text="Cháy ở chợ / đường Lê Lợi")
    assert result["deliveries"] == [200]
    [raw] = emu.webhook.bodies
    assert raw.isascii() and b"Ch\\u00e1y" in raw and b"\\/" in raw
    [headers] = emu.webhook.headers
    expected = hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == f"sha256={expected}"
    body = json.loads(raw)
    assert body["object"] == "page" and body["entry"][0]["messaging"][0]["sender"]["id"] == psid
    [event] = emu.webhook.events
    assert isinstance(event, TextReceived) and event.text == "Cháy ở chợ / đường Lê Lợi"


async def test_batch_from_two_residents_is_one_post(emu: Emu) -> None:
    lan, minh = await emu.resident("Lan"), await emu.resident("Minh")
    result = await emu.post("/_emu/send_batch", {"events": [
        {"from": lan, "text": "Tai nạn ở Hàng Xanh"},
        {"from": minh, "postback": {"payload": "cat:traffic", "title": "Tai nạn giao thông"}},
        {"from": lan, "quick_reply": {"payload": "cat:fire", "text": "Cháy nổ"}}]})
    assert result["deliveries"] == [200] and len(result["mids"]) == 3
    assert len(emu.webhook.bodies) == 1
    assert [(type(e), e.chat.chat_id) for e in emu.webhook.events] == [
        (TextReceived, lan), (ButtonPressed, minh), (ButtonPressed, lan)]


async def test_failed_delivery_is_retried(emu: Emu) -> None:
    psid = await emu.resident()
    emu.webhook.fail_next = 2
    result = await emu.say(psid, text="Có ai không?")
    assert result["deliveries"] == [200] and emu.webhook.attempts == 3


@pytest.mark.parametrize(("content", "kind", "check"), [
    ({"image": {"data_b64": PNG}}, MediaReceived, {"media.kind": MediaKind.PHOTO}),
    ({"video": {"data_b64": B64}}, MediaReceived, {"media.kind": MediaKind.VIDEO}),
    ({"file": {"data_b64": B64, "file_name": "bien-ban.pdf"}}, MediaReceived,
     {"media.kind": MediaKind.DOCUMENT, "media.file_name": "bien-ban.pdf"}),
    ({"audio": {"data_b64": B64}}, UnsupportedReceived, {"kind": "audio"}),
    ({"sticker": {}}, UnsupportedReceived, {"kind": "sticker"}),
    ({"sticker": {"form": "transitional"}}, UnsupportedReceived, {"kind": "sticker"}),
    ({"fallback": {"url": "https://maps.google.com/?q=10.7769,106.7009", "title": "Nhà thờ"}},
     LocationReceived, {"location.lat": 10.7769, "location.label": "Nhà thờ"}),
    ({"fallback": {"url": "https://maps.app.goo.gl/xyz"}}, TextReceived,
     {"text": "https://maps.app.goo.gl/xyz"}),
    ({"location": {"lat": 10.78, "long": 106.69}}, LocationReceived, {"location.lon": 106.69}),
    ({"read": {}}, Ignored, {"reason": "read receipt"}),
    ({"delivery": {}}, Ignored, {"reason": "delivery receipt"}),
])
async def test_every_resident_action_parses(emu: Emu, content: dict[str, Any], kind: type,
                                            check: dict[str, Any]) -> None:
    psid = await emu.resident()
    await emu.say(psid, **content)
    [event] = emu.webhook.events
    assert isinstance(event, kind), event
    for path, value in check.items():
        actual: Any = event
        for part in path.split("."):
            actual = getattr(actual, part)
        assert actual == value


async def test_attachment_bytes_are_served(emu: Emu) -> None:
    psid = await emu.resident()
    await emu.say(psid, video={"data_b64": B64, "mime_type": "video/mp4"})
    [event] = emu.webhook.events
    assert isinstance(event, MediaReceived)
    async with emu.http.get(event.media.file_id) as resp:
        assert resp.status == 200 and resp.content_type == "video/mp4"
        assert await resp.read() == base64.b64decode(B64)


async def test_subscription_needs_the_right_verify_token(emu: Emu) -> None:
    await emu.post("/_emu/config", {"verify_token": "not-ours"})
    result = await emu.post("/_emu/subscribe", status=409)
    assert result["ok"] is False and result["status"] == 403
    psid = await emu.resident()
    refused = await emu.post("/_emu/send", {"from": psid, "text": "hello"}, status=409)
    assert "subscribe" in refused["error"]


async def test_echoes_when_enabled(emu: Emu) -> None:
    psid = await emu.resident()
    await emu.post("/_emu/config", {"echoes": True})
    await emu.say(psid, text="Xin chào")
    client = emu.outbound()
    try:
        await client.send_text(psid, Text(OutgoingMessage(text="Chào bạn")))
    finally:
        await client.close()
    for _ in range(50):
        if len(emu.webhook.events) == 2:
            break
        await asyncio.sleep(0.02)
    echo = emu.webhook.events[-1]
    assert isinstance(echo, Ignored) and echo.reason == "echo" and echo.chat.chat_id == psid


async def test_send_api_validates_like_graph(emu: Emu) -> None:
    psid = await emu.resident()
    await emu.say(psid, text="hi")
    url = f"{emu.base}/v26.0/me/messages?access_token={PAGE_TOKEN}"
    bad = [
        ({"recipient": {"id": psid}, "message": {"text": "x"}}, 100),  # no messaging_type
        ({"recipient": {"id": "999"}, "messaging_type": "RESPONSE", "message": {"text": "x"}},
         100),
        ({"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {
            "text": "x", "quick_replies": [{"content_type": "text", "title": "x" * 21,
                                            "payload": "p"}]}}, 100),
        ({"recipient": {"id": psid}, "messaging_type": "MESSAGE_TAG", "tag": "PROMO",
          "message": {"text": "x"}}, 100),
    ]
    async with aiohttp.ClientSession() as http:
        for body, code in bad:
            async with http.post(url, json=body) as resp:
                answer = await resp.json()
                assert resp.status == 400 and answer["error"]["code"] == code, answer
                assert set(answer["error"]) >= {"message", "type", "code", "fbtrace_id"}
        ok = {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": "x"}}
        async with http.post(url, json=ok) as resp:
            answer = await resp.json()
            assert set(answer) == {"recipient_id", "message_id"} and answer["recipient_id"] == psid
        async with http.get(f"{emu.base}/v26.0/{psid}",
                            params={"access_token": PAGE_TOKEN}) as resp:
            assert (await resp.json())["first_name"] == "Lan"


async def test_reset_forgets_residents(emu: Emu) -> None:
    psid = await emu.resident()
    await emu.post("/_emu/reset")
    async with emu.http.get(f"{emu.base}/_emu/users/{psid}/messages") as resp:
        assert resp.status == 404
