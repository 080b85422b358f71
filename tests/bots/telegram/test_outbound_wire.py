"""The adapter's texts and edits go through python-telegram-bot's request layer with the Bot
API's JSON (``outbound._call``) rather than ``bot.send_message``'s objects: the requests on
the wire are the very ones ``bot.send_message`` / ``bot.edit_message_text`` make, field for
field (recorded by a plain HTTP server on loopback), and the emulator stores the same message.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest
import telegram
from aiohttp import web
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode

from sosbot.bots.telegram.outbound import TelegramOutbound, render_text
from sosbot.core.actions import Choice, OutgoingMessage
from sosbot.core.outbox_rows import Edit, Text
from sosbot.emulators.telegram.app import BotSpec, EmulatorConfig, create_app

TOKEN = "7100000002:WIRE-token"
CHAT = "-1001234"

SENDS = [
    Text(OutgoingMessage(text="Cháy & khói <tầng 2> \"nhà số 5\"")),
    Text(OutgoingMessage(text="Chọn", choices=((Choice("✅ Tiếp nhận", "a:1"),
                                                 Choice("🚓", "b:1")),
                                                (Choice("❌", "c:1"),))), reply_to="12"),
    Text(OutgoingMessage(text="Vị trí?", request="location", request_label="📍 Gửi vị trí")),
    Text(OutgoingMessage(text="Số điện thoại?", request="contact")),
    Text(OutgoingMessage(text="Xong", remove_keyboard=True)),
    Text(OutgoingMessage(text="Bản đồ", choices=((Choice("Đúng", "y"),),),
                         link=("Chọn trên bản đồ", "https://sos.example/l/abc"))),
]


def reference_markup(message: OutgoingMessage) -> Any:
    """The keyboards as python-telegram-bot's objects: how the adapter sent them before."""
    if message.choices or message.link:
        rows = [[InlineKeyboardButton(c.label, callback_data=c.value) for c in row]
                for row in message.choices]
        if message.link:
            rows.append([InlineKeyboardButton(message.link[0], url=message.link[1])])
        return InlineKeyboardMarkup(rows)
    if message.request is not None:
        button = KeyboardButton(message.request_label or message.request,
                                request_location=message.request == "location",
                                request_contact=message.request == "contact")
        return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)
    if message.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


@dataclass
class Recorder:
    """An HTTP server that keeps every form it is posted and answers like the Bot API."""

    url: str = ""
    forms: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        method = request.path.rsplit("/", 1)[-1]
        form = {name: json.loads(value) if value[:1] in "{[" else value
                for name, value in parse_qsl(await request.text())}
        self.forms.append((method, form))
        result: dict[str, Any] = {"id": 1, "is_bot": True, "first_name": "b", "username": "b"}
        if method != "getMe":
            result = {"message_id": 77, "date": 1, "text": "x",
                      "chat": {"id": int(CHAT), "type": "supergroup", "title": "g"}}
        return web.json_response({"ok": True, "result": result})


@pytest.fixture
async def recorder() -> AsyncIterator[Recorder]:
    recorder = Recorder()
    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", recorder.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    recorder.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield recorder
    await runner.cleanup()


async def test_texts_and_edits_are_the_requests_python_telegram_bot_makes(
        recorder: Recorder) -> None:
    adapter = TelegramOutbound(TOKEN, recorder.url)
    await adapter.start()
    reference = telegram.Bot(TOKEN, base_url=f"{recorder.url}/bot")
    await reference.initialize()
    try:
        for send in SENDS:
            assert await adapter.send_text(CHAT, send) == "77"
            await reference.send_message(
                CHAT, render_text(send.message.text), parse_mode=ParseMode.HTML,
                reply_markup=reference_markup(send.message),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                reply_to_message_id=int(send.reply_to) if send.reply_to else None)
        edit = Edit("12", SENDS[1].message)
        assert await adapter.edit_post(CHAT, edit) == "12"
        await reference.edit_message_text(
            render_text(edit.message.text), chat_id=CHAT, message_id=12,
            parse_mode=ParseMode.HTML, reply_markup=reference_markup(edit.message),
            link_preview_options=LinkPreviewOptions(is_disabled=True))
    finally:
        await adapter.close()
        await reference.shutdown()
    calls = [call for call in recorder.forms if call[0] != "getMe"]
    assert len(calls) == 2 * (len(SENDS) + 1)
    ours, theirs = calls[0::2], calls[1::2]
    assert ours == theirs
    assert {method for method, _ in ours} == {"sendMessage", "editMessageText"}


async def test_the_emulator_stores_what_the_adapter_sent() -> None:
    """Through the emulator: escaped text, inline buttons with a link, a reply."""
    app = create_app(bots=[BotSpec(TOKEN, "sos_wire_bot")], config=EmulatorConfig(limits=False))
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    adapter = TelegramOutbound(TOKEN, base)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base}/_emu/users", json={"first_name": "Lan"}) as response:
                chat = str((await response.json())["id"])
            await adapter.start()
            first = await adapter.send_text(chat, SENDS[0])
            second = await adapter.send_text(chat, Text(SENDS[5].message, reply_to=first))
            async with http.get(f"{base}/_emu/chats/{chat}/messages") as response:
                stored = (await response.json())["messages"]
    finally:
        await adapter.close()
        await runner.cleanup()
    assert [str(m["message_id"]) for m in stored] == [first, second]
    assert stored[0]["text"] == SENDS[0].message.text
    assert stored[1]["reply_to_message"]["message_id"] == int(first or 0)
    assert stored[1]["reply_markup"] == {"inline_keyboard": [
        [{"text": "Đúng", "callback_data": "y"}],
        [{"text": "Chọn trên bản đồ", "url": "https://sos.example/l/abc"}]]}
