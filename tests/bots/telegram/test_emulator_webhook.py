"""Webhook delivery and the control API of the emulator, with a real webhook receiver."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import telegram
from aiohttp import web
from PIL import Image
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from sosbot.emulators.telegram.app import BotSpec, EmulatorConfig, create_app

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

TOKEN = "777000:WEBHOOK-test"
SECRET = "hook_Secret-42"


@dataclass
class Receiver:
    """A tiny webhook endpoint: checks the secret, records updates, answers scripted codes."""

    url: str = ""
    script: list[int] = field(default_factory=list)
    delay_s: float = 0.0
    updates: list[dict[str, Any]] = field(default_factory=list)
    bad_secret: int = 0
    content_types: set[str] = field(default_factory=set)

    async def handle(self, request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != SECRET:
            self.bad_secret += 1
            return web.Response(status=403)
        self.content_types.add(request.content_type)
        self.updates.append(await request.json())
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        status = self.script.pop(0) if self.script else 200
        return web.Response(status=status, text="ok")


@dataclass
class World:
    """Emulator, receiver, a control client and a real Bot with its webhook set."""

    base: str
    http: aiohttp.ClientSession
    receiver: Receiver
    bot: telegram.Bot

    async def call(self, path: str, body: Any = None, method: str = "POST") -> tuple[int, Any]:
        async with self.http.request(method, self.base + path, json=body) as resp:
            return resp.status, await resp.json()

    async def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        status, payload = await self.call(path, body or {})
        assert status == 200, payload
        return payload

    async def user(self, name: str = "Hoa") -> int:
        return int((await self.post("/_emu/users", {"first_name": name}))["id"])


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@pytest.fixture
async def world() -> AsyncIterator[World]:
    receiver = Receiver()
    hook_app = web.Application()
    hook_app.router.add_post("/hook", receiver.handle)
    hook_runner, hook_base = await _serve(hook_app)
    receiver.url = hook_base + "/hook"
    config = EmulatorConfig(limits=False, retry_base_s=0.05, max_retries=3)
    emu_runner, base = await _serve(
        create_app(bots=[BotSpec(TOKEN, "ward_bot", "Ward")], config=config)
    )
    bot = telegram.Bot(TOKEN, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")
    async with aiohttp.ClientSession() as http, bot:
        await bot.set_webhook(receiver.url, secret_token=SECRET)
        yield World(base, http, receiver, bot)
    await emu_runner.cleanup()
    await hook_runner.cleanup()


def b64_png(width: int, height: int) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


async def test_inline_keyboard_press_round_trip(world: World) -> None:
    uid = await world.user()
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Cháy", callback_data="kind:fire")]])
    sent = await world.bot.send_message(uid, "Loại sự cố?", reply_markup=keyboard)
    pressed = await world.post(
        "/_emu/press",
        {
            "token": TOKEN,
            "from": uid,
            "chat_id": uid,
            "message_id": sent.message_id,
            "data": "kind:fire",
        },
    )
    assert pressed["deliveries"] == [200]
    assert world.receiver.bad_secret == 0
    assert world.receiver.content_types == {"application/json"}
    update = Update.de_json(world.receiver.updates[-1], world.bot)
    query = update.callback_query
    assert query is not None and query.data == "kind:fire" and query.chat_instance
    assert query.message is not None and query.message.message_id == sent.message_id
    assert update.update_id == pressed["update_ids"][0]
    assert await world.bot.answer_callback_query(query.id, text="Đã nhận")
    answers = (await world.call("/_emu/callback_answers", method="GET"))[1]
    assert answers == [{"callback_query_id": query.id, "text": "Đã nhận", "show_alert": False}]
    with pytest.raises(BadRequest, match="Query is too old"):
        await world.bot.answer_callback_query(query.id)
    status, body = await world.call(
        "/_emu/press",
        {
            "token": TOKEN,
            "from": uid,
            "chat_id": uid,
            "message_id": sent.message_id,
            "data": "kind:flood",
        },
    )
    assert status == 400 and "error" in body
    forged = await world.post(
        "/_emu/press",
        {
            "token": TOKEN,
            "from": uid,
            "chat_id": uid,
            "message_id": sent.message_id,
            "data": "kind:flood",
            "force": True,
        },
    )
    assert forged["deliveries"] == [200]


async def test_webhook_retries_until_2xx_with_same_update_id(world: World) -> None:
    uid = await world.user()
    world.receiver.script = [500, 500]
    result = await world.post("/_emu/send", {"token": TOKEN, "from": uid, "text": "cứu với"})
    assert result["deliveries"] == [200]
    ids = [u["update_id"] for u in world.receiver.updates]
    assert ids == [result["update_ids"][0]] * 3
    info = await world.bot.get_webhook_info()
    assert info.last_error_message and "500" in info.last_error_message
    assert info.pending_update_count == 0


async def test_webhook_gives_up_after_max_retries(world: World) -> None:
    uid = await world.user()
    world.receiver.script = [503] * 10
    result = await world.post("/_emu/send", {"token": TOKEN, "from": uid, "text": "x"})
    assert result["deliveries"] == [503]
    assert len(world.receiver.updates) == 4
    world.receiver.script = []
    after = await world.post("/_emu/send", {"token": TOKEN, "from": uid, "text": "y"})
    assert after["deliveries"] == [200]
    assert after["update_ids"][0] == result["update_ids"][0] + 1


async def test_album_photo_sizes_and_document_bytes(world: World) -> None:
    uid = await world.user()
    album = [
        {"type": "photo", "data_b64": b64_png(1000, 750), "caption": "hiện trường"},
        {"type": "photo", "data_b64": b64_png(300, 200)},
        {"type": "video", "data_b64": base64.b64encode(b"mp4!").decode()},
    ]
    result = await world.post("/_emu/send", {"token": TOKEN, "from": uid, "album": album})
    assert len(result["message_ids"]) == 3 and result["deliveries"] == [200, 200, 200]
    updates = [Update.de_json(u, world.bot) for u in world.receiver.updates]
    messages = [u.message for u in updates if u.message]
    assert len(messages) == 3
    assert len({m.media_group_id for m in messages}) == 1 and messages[0].media_group_id
    assert messages[0].caption == "hiện trường"
    assert [(p.width, p.height) for p in messages[0].photo] == [
        (90, 68),
        (320, 240),
        (800, 600),
        (1000, 750),
    ]
    sizes = [p.file_size or 0 for p in messages[0].photo]
    assert sizes[-1] == len(base64.b64decode(album[0]["data_b64"]))
    assert [(p.width, p.height) for p in messages[1].photo] == [(90, 60), (300, 200)]
    assert messages[2].video is not None

    payload = b"\x89binary evidence \x00\xff" * 50
    doc = {
        "data_b64": base64.b64encode(payload).decode(),
        "file_name": "ghi_am.m4a",
        "mime_type": "audio/mp4",
    }
    await world.post("/_emu/send", {"token": TOKEN, "from": uid, "document": doc})
    last = Update.de_json(world.receiver.updates[-1], world.bot).message
    assert last is not None and last.document is not None
    assert last.document.file_name == "ghi_am.m4a" and last.document.mime_type == "audio/mp4"
    file = await world.bot.get_file(last.document.file_id)
    assert bytes(await file.download_as_bytearray()) == payload


async def test_all_user_contents_parse_in_ptb(world: World) -> None:
    uid = await world.user()
    bodies: list[dict[str, Any]] = [
        {"text": "/start@ward_bot abc"},
        {"location": {"latitude": 10.77, "longitude": 106.7, "live_period": 900}},
        {
            "venue": {
                "latitude": 10.7,
                "longitude": 106.6,
                "title": "Chợ Bến Thành",
                "address": "Lê Lợi, Q1",
            }
        },
        {"photo": {"data_b64": b64_png(64, 64), "caption": "#fire"}},
        {"video": {"data_b64": base64.b64encode(b"v").decode(), "duration": 3}},
        {"contact": {"phone_number": "+84901234567", "first_name": "Hoa"}},
        {"sticker": {}},
        {"voice": {}},
    ]
    for body in bodies:
        await world.post("/_emu/send", {"token": TOKEN, "from": uid, **body})
    messages = [Update.de_json(u, world.bot).message for u in world.receiver.updates]
    assert all(m is not None for m in messages)
    first = messages[0]
    assert first is not None and first.entities[0].type == "bot_command"
    assert first.entities[0].length == len("/start@ward_bot")
    kinds = ["text", "location", "venue", "photo", "video", "contact", "sticker", "voice"]
    assert [bool(getattr(m, k)) for m, k in zip(messages, kinds, strict=True)] == [True] * 8
    live_id = messages[1].message_id if messages[1] else 0
    moved = await world.post(
        "/_emu/edit_location",
        {
            "token": TOKEN,
            "from": uid,
            "message_id": live_id,
            "latitude": 10.78,
            "longitude": 106.71,
        },
    )
    assert moved["deliveries"] == [200]
    edited = Update.de_json(world.receiver.updates[-1], world.bot).edited_message
    assert edited is not None and edited.location is not None
    assert edited.location.latitude == pytest.approx(10.78) and edited.edit_date is not None


async def test_per_chat_order_and_cross_chat_concurrency(world: World) -> None:
    users = [await world.user(f"U{n}") for n in range(3)]
    world.receiver.delay_s = 0.1
    started = asyncio.get_running_loop().time()
    for n in range(3):
        for uid in users:
            result = await world.post(
                "/_emu/send", {"token": TOKEN, "from": uid, "text": f"m{n}", "wait": False}
            )
            assert result["deliveries"] == [None]
    while len(world.receiver.updates) < 9:
        await asyncio.sleep(0.02)
    elapsed = asyncio.get_running_loop().time() - started
    assert elapsed < 0.85  # 9 deliveries of 0.1 s: chats ran concurrently
    for uid in users:
        texts = [
            u["message"]["text"]
            for u in world.receiver.updates
            if u["message"]["chat"]["id"] == uid
        ]
        assert texts == ["m0", "m1", "m2"]


async def test_group_membership_updates(world: World) -> None:
    admin, other = await world.user("Admin"), await world.user("Other")
    group = (
        await world.post(
            "/_emu/groups", {"title": "Phường 1", "type": "supergroup", "members": [admin, other]}
        )
    )["id"]
    assert str(group).startswith("-100")
    added = await world.post(f"/_emu/groups/{group}/add_bot", {"token": TOKEN, "by": admin})
    assert len(added["update_ids"]) >= 1
    member = Update.de_json(world.receiver.updates[0], world.bot).my_chat_member
    assert member is not None
    assert (member.old_chat_member.status, member.new_chat_member.status) == ("left", "member")
    await world.post("/_emu/send", {"token": TOKEN, "from": other, "chat_id": group, "text": "hi"})
    sent = await world.bot.send_message(group, "xin chào")
    assert sent.chat.type == "supergroup"
    await world.post(f"/_emu/groups/{group}/remove_bot", {"token": TOKEN, "by": admin})
    kicked = Update.de_json(world.receiver.updates[-1], world.bot).my_chat_member
    assert kicked is not None and kicked.new_chat_member.status == "kicked"
    messages = (await world.call(f"/_emu/chats/{group}/messages", method="GET"))[1]["messages"]
    assert [m.get("text") for m in messages][-2:] == ["hi", "xin chào"]
    assert [m["message_id"] for m in messages] == [1, 2, 3]


async def test_allowed_updates_filter(world: World) -> None:
    await world.bot.set_webhook(
        world.receiver.url, secret_token=SECRET, allowed_updates=["callback_query"]
    )
    uid = await world.user()
    result = await world.post("/_emu/send", {"token": TOKEN, "from": uid, "text": "ignored"})
    assert result["deliveries"] == [None] and world.receiver.updates == []


async def test_control_api_rejects_malformed_requests(world: World) -> None:
    uid = await world.user()
    bad: list[tuple[str, Any]] = [
        ("/_emu/users", {}),
        ("/_emu/users", {"first_name": "X", "id": uid}),
        ("/_emu/bots", {"token": ""}),
        ("/_emu/groups", {"title": "G", "members": [1]}),
        ("/_emu/groups", {"title": "G", "type": "channel", "members": []}),
        ("/_emu/send", {"token": TOKEN, "from": uid}),
        ("/_emu/send", {"token": TOKEN, "from": uid, "text": "a", "location": {}}),
        ("/_emu/send", {"token": "nope", "from": uid, "text": "a"}),
        ("/_emu/send", {"token": TOKEN, "from": 1, "text": "a"}),
        ("/_emu/send", {"token": TOKEN, "from": uid, "photo": {"data_b64": "!!"}}),
        ("/_emu/send", {"token": TOKEN, "from": uid, "photo": {"data_b64": "aGVsbG8="}}),
        ("/_emu/send", {"token": TOKEN, "from": uid, "location": {"latitude": "x"}}),
        ("/_emu/send", {"token": TOKEN, "from": uid, "album": [{"type": "photo"}]}),
        ("/_emu/send", {"token": TOKEN, "from": "abc", "text": "a"}),
        (
            "/_emu/press",
            {"token": TOKEN, "from": uid, "chat_id": uid, "message_id": 99, "data": "x"},
        ),
        ("/_emu/edit_location", {"token": TOKEN, "from": uid, "message_id": 1}),
        ("/_emu/groups/abc/add_bot", {"token": TOKEN, "by": uid}),
        ("/_emu/groups/-1/migrate", {"token": TOKEN}),
        (f"/_emu/users/{uid}/block", {}),
        ("/_emu/config", {"max_retries": -1}),
        ("/_emu/config", {"limits": "yes"}),
        ("/_emu/config", {"bogus": 1}),
        ("/_emu/send", [1, 2]),
        ("/_emu/send", "text"),
    ]
    for path, body in bad:
        status, payload = await world.call(path, body)
        assert status == 400, (path, body, payload)
        assert isinstance(payload.get("error"), str)
    async with world.http.post(
        world.base + "/_emu/send", data=b"{not json", headers={"Content-Type": "application/json"}
    ) as resp:
        assert resp.status == 400
    status, payload = await world.call("/_emu/files/nope", method="GET")
    assert status == 404 and "error" in payload


async def test_config_reset_and_call_log(world: World) -> None:
    cfg = await world.post("/_emu/config", {"retry_base_s": 0.01, "group_per_min": 5})
    assert cfg["retry_base_s"] == 0.01 and cfg["group_per_min"] == 5 and cfg["limits"] is False
    uid = await world.user()
    await world.bot.send_message(uid, "x")
    calls = (await world.call("/_emu/calls", method="GET"))[1]
    assert calls[-1]["method"] == "sendMessage" and calls[-1]["chat_id"] == uid
    assert calls[-1]["status"] == 200 and calls[-1]["error_code"] is None
    assert isinstance(calls[-1]["at"], float)
    await world.post("/_emu/reset")
    assert (await world.call("/_emu/calls", method="GET"))[1] == []
    status, _ = await world.call(f"/_emu/chats/{uid}/messages", method="GET")
    assert status == 400
    again = await world.user()
    assert (await world.bot.get_me()).username == "ward_bot"
    sent = await world.bot.send_message(again, "after reset")
    assert sent.message_id == 1


async def test_bots_registered_at_runtime_and_raw_form_calls(world: World) -> None:
    created = await world.post("/_emu/bots", {"token": "555:second", "username": "second_bot"})
    assert created["id"] == 555
    uid = await world.user()
    keyboard = {"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}
    form = {"chat_id": str(uid), "text": "<b>form</b>", "parse_mode": "HTML"}
    form["reply_markup"] = json.dumps(keyboard)
    async with world.http.post(f"{world.base}/bot555:second/sendmessage", data=form) as resp:
        body = await resp.json()
    assert body["ok"] is True and body["result"]["text"] == "form"
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "b"
    async with world.http.get(
        f"{world.base}/bot555:second/sendMessage", params={"chat_id": uid, "text": "via GET"}
    ) as resp:
        assert (await resp.json())["result"]["message_id"] == 2


JUNK: list[Any] = [None, "", "x", -1, 0, 2.5, True, [], {}, [1], {"a": 1}]


async def test_control_api_never_answers_500(world: World) -> None:
    uid = await world.user()
    group = (await world.post("/_emu/groups", {"title": "G", "members": [uid]}))["id"]
    await world.post(f"/_emu/groups/{group}/add_bot", {"token": TOKEN, "by": uid})
    sent = await world.bot.send_message(
        uid,
        "k",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="a")]]),
    )
    live = await world.post(
        "/_emu/send",
        {
            "token": TOKEN,
            "from": uid,
            "location": {"latitude": 1, "longitude": 2, "live_period": 60},
        },
    )
    base = {"token": TOKEN, "from": uid, "wait": False}
    valid: list[tuple[str, dict[str, Any]]] = [
        ("/_emu/bots", {"token": "1:a", "username": "u", "first_name": "f"}),
        (
            "/_emu/users",
            {"first_name": "a", "last_name": "b", "username": "c", "language_code": "vi"},
        ),
        ("/_emu/groups", {"title": "t", "type": "group", "members": [uid]}),
        (f"/_emu/groups/{group}/add_bot", {"token": TOKEN, "by": uid}),
        (f"/_emu/users/{uid}/block", {"token": TOKEN}),
        ("/_emu/send", {**base, "chat_id": uid, "reply_to_message_id": 1, "text": "hi"}),
        (
            "/_emu/send",
            {
                **base,
                "location": {
                    "latitude": 1,
                    "longitude": 2,
                    "horizontal_accuracy": 5,
                    "live_period": 60,
                },
            },
        ),
        (
            "/_emu/send",
            {**base, "venue": {"latitude": 1, "longitude": 2, "title": "t", "address": "a"}},
        ),
        ("/_emu/send", {**base, "photo": {"data_b64": b64_png(8, 8), "caption": "c"}}),
        (
            "/_emu/send",
            {**base, "video": {"data_b64": "aGk=", "duration": 1, "mime_type": "video/mp4"}},
        ),
        (
            "/_emu/send",
            {
                **base,
                "document": {
                    "data_b64": "aGk=",
                    "file_name": "a.txt",
                    "mime_type": "text/plain",
                    "caption": "c",
                },
            },
        ),
        (
            "/_emu/send",
            {
                **base,
                "album": [
                    {"type": "photo", "data_b64": b64_png(8, 8)},
                    {"type": "video", "data_b64": "aGk="},
                ],
            },
        ),
        (
            "/_emu/send",
            {**base, "contact": {"phone_number": "1", "first_name": "a", "user_id": uid}},
        ),
        ("/_emu/send", {**base, "sticker": {}}),
        ("/_emu/send", {**base, "voice": {"duration": 2}}),
        (
            "/_emu/edit_location",
            {**base, "message_id": live["message_ids"][0], "latitude": 3, "longitude": 4},
        ),
        ("/_emu/press", {**base, "chat_id": uid, "message_id": sent.message_id, "data": "a"}),
        ("/_emu/config", {"limits": False, "retry_base_s": 0.05, "max_retries": 3}),
        (f"/_emu/groups/{group}/migrate", {"token": TOKEN}),
    ]
    for path, body in valid:
        variants: list[Any] = [None, [], "x", 5]
        for key, value in body.items():
            for junk in JUNK:
                variants.append({**body, key: junk})
            if isinstance(value, dict):
                for inner in value:
                    variants.extend({**body, key: {**value, inner: j}} for j in JUNK)
            if isinstance(value, list) and value and isinstance(value[0], dict):
                for inner in value[0]:
                    variants.extend(
                        {**body, key: [{**value[0], inner: j}, *value[1:]]} for j in JUNK
                    )
        for variant in variants:
            async with world.http.post(world.base + path, json=variant) as resp:
                assert resp.status < 500, (path, variant, await resp.text())
                assert resp.content_type == "application/json"
        await world.post("/_emu/config", {"retry_base_s": 0.05, "max_retries": 3})


async def test_reply_keyboard_and_json_404s(world: World) -> None:
    uid = await world.user()
    keyboard = telegram.ReplyKeyboardMarkup(
        [[telegram.KeyboardButton("Gửi vị trí", request_location=True)]], one_time_keyboard=True
    )
    sent = await world.bot.send_message(uid, "Bạn đang ở đâu?", reply_markup=keyboard)
    assert sent.reply_markup is None
    status, body = await world.call(f"/_emu/chats/{uid}/messages", method="GET")
    assert body["reply_keyboard"]["keyboard"][0][0]["request_location"] is True
    await world.bot.send_message(uid, "Cảm ơn", reply_markup=telegram.ReplyKeyboardRemove())
    status, body = await world.call(f"/_emu/chats/{uid}/messages", method="GET")
    assert body["reply_keyboard"] is None and len(body["messages"]) == 2
    status, body = await world.call("/_emu/nothing-here", method="GET")
    assert status == 404 and "error" in body
    status, body = await world.call("/not-the-api", method="GET")
    assert (status, body["description"]) == (404, "Not Found")
    async with world.http.options(world.base + "/_emu/send") as resp:
        assert resp.status == 204
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
