"""The real python-telegram-bot client against the emulator over loopback HTTP."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import telegram
from aiohttp import web
from PIL import Image
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, InputMediaVideo
from telegram.error import BadRequest, ChatMigrated, Conflict, Forbidden, InvalidToken, RetryAfter

from sosbot.emulators.telegram.app import BotSpec, EmulatorConfig, create_app

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

TOKEN = "123456:TEST-token_abc"
USERNAME = "sos_test_bot"


@dataclass
class Emu:
    """A running emulator and a JSON client for its control API."""

    base: str
    http: aiohttp.ClientSession

    async def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        async with self.http.post(self.base + path, json=body or {}) as resp:
            payload = await resp.json()
            assert resp.status == 200, payload
            return payload

    async def get(self, path: str) -> Any:
        async with self.http.get(self.base + path) as resp:
            assert resp.status == 200
            return await resp.json()

    async def get_bytes(self, path: str) -> bytes:
        async with self.http.get(self.base + path) as resp:
            assert resp.status == 200
            return await resp.read()

    async def user(self, name: str = "Lan") -> int:
        return int((await self.post("/_emu/users", {"first_name": name}))["id"])

    async def group(self, members: list[int], kind: str = "group") -> int:
        body = {"title": "Ward 1", "type": kind, "members": members}
        chat_id = int((await self.post("/_emu/groups", body))["id"])
        await self.post(f"/_emu/groups/{chat_id}/add_bot", {"token": TOKEN, "by": members[0]})
        return chat_id


async def start_emulator(config: EmulatorConfig) -> tuple[web.AppRunner, str]:
    """Run the emulator on a free loopback port."""
    app = create_app(bots=[BotSpec(TOKEN, USERNAME, "SOS")], config=config)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@pytest.fixture
async def emu() -> AsyncIterator[Emu]:
    runner, base = await start_emulator(EmulatorConfig(limits=False, retry_base_s=0.05))
    async with aiohttp.ClientSession() as http:
        yield Emu(base, http)
    await runner.cleanup()


def make_bot(emu: Emu, token: str = TOKEN) -> telegram.Bot:
    return telegram.Bot(token, base_url=f"{emu.base}/bot", base_file_url=f"{emu.base}/file/bot")


@pytest.fixture
async def bot(emu: Emu) -> AsyncIterator[telegram.Bot]:
    async with make_bot(emu) as client:
        yield client


def seconds(value: float | dt.timedelta) -> float:
    """PTB 22 gives durations as int or timedelta depending on PTB_TIMEDELTA."""
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buf, format="PNG")
    return buf.getvalue()


async def test_get_me(bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, USERNAME, True)


async def test_unknown_token_and_method(emu: Emu) -> None:
    with pytest.raises(InvalidToken):
        async with make_bot(emu, "999:nope"):
            pass
    async with emu.http.get(f"{emu.base}/bot999:nope/getMe") as resp:
        assert resp.status == 401
        assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    async with emu.http.post(f"{emu.base}/bot{TOKEN}/sendTelepathy", json={}) as resp:
        assert resp.status == 404
        assert (await resp.json())["description"] == "Not Found"
    async with emu.http.get(f"{emu.base}/bot{TOKEN}/GETME") as resp:
        assert (await resp.json())["result"]["username"] == USERNAME


async def test_send_message_html_good_and_broken(emu: Emu, bot: telegram.Bot) -> None:
    uid = await emu.user()
    sent = await bot.send_message(uid, "<b>Khẩn cấp</b> tại &lt;Q1&gt;", parse_mode="HTML")
    assert sent.text == "Khẩn cấp tại <Q1>"
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 8
    assert sent.from_user is not None and sent.from_user.is_bot
    with pytest.raises(BadRequest, match="Can't parse entities: unsupported start tag"):
        await bot.send_message(uid, "<blink>x</blink>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="can't find end tag"):
        await bot.send_message(uid, "<b>open", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(uid, "<b> </b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(uid, "x" * 4097)
    await bot.send_message(uid, "<i>" + "x" * 4096 + "</i>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "hi")
    stored = (await emu.get(f"/_emu/chats/{uid}/messages"))["messages"]
    assert [m["message_id"] for m in stored] == [1, 2]
    assert stored[0]["entities"] == [{"offset": 0, "length": 8, "type": "bold"}]


async def test_reply_and_keyboard_validation(emu: Emu, bot: telegram.Bot) -> None:
    uid = await emu.user()
    first = await bot.send_message(uid, "first")
    reply = await bot.send_message(uid, "second", reply_to_message_id=first.message_id)
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.message_id == first.message_id
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(uid, "pick", reply_markup=too_long)


async def test_photo_upload_resend_and_sizes(emu: Emu, bot: telegram.Bot) -> None:
    uid = await emu.user()
    original = png(1200, 600)
    sent = await bot.send_photo(uid, original, caption="<b>scene</b>", parse_mode="HTML")
    sizes = [(p.width, p.height) for p in sent.photo]
    assert sizes == [(90, 45), (320, 160), (800, 400), (1200, 600)]
    assert sent.caption == "scene" and sent.caption_entities[0].type == "bold"
    assert await emu.get_bytes(f"/_emu/files/{sent.photo[-1].file_id}") == original
    again = await bot.send_photo(uid, sent.photo[-1].file_id)
    assert [p.file_unique_id for p in again.photo] == [p.file_unique_id for p in sent.photo]
    small = await bot.send_photo(uid, png(100, 50))
    assert [(p.width, p.height) for p in small.photo] == [(90, 45), (100, 50)]
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_photo(uid, "AgACnot-a-real-id")
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(uid, sent.photo[-1].file_id, caption="c" * 1025)


async def test_get_file_and_download(emu: Emu, bot: telegram.Bot) -> None:
    uid = await emu.user()
    original = png(50, 40)
    sent = await bot.send_photo(uid, original)
    file = await bot.get_file(sent.photo[-1].file_id)
    assert file.file_size == len(original)
    assert bytes(await file.download_as_bytearray()) == original
    doc = await bot.send_document(uid, b"%PDF-1.4 report", filename="report.pdf")
    assert doc.document is not None and doc.document.mime_type == "application/pdf"
    data = await (await bot.get_file(doc.document.file_id)).download_as_bytearray()
    assert bytes(data) == b"%PDF-1.4 report"
    video = await bot.send_video(uid, b"\x00\x00\x00\x18ftypmp42", duration=4)
    assert video.video is not None and seconds(video.video.duration) == 4


async def test_get_file_too_big(emu: Emu) -> None:
    runner, base = await start_emulator(EmulatorConfig(limits=False, max_download_bytes=1000))
    try:
        small_emu = Emu(base, emu.http)
        uid = await small_emu.user()
        payload = base64.b64encode(b"x" * 1001).decode()
        await small_emu.post(
            "/_emu/send",
            {"token": TOKEN, "from": uid, "document": {"data_b64": payload, "file_name": "a.bin"}},
        )
        async with make_bot(small_emu) as client:
            update = (await client.get_updates())[0]
            assert update.message is not None and update.message.document is not None
            with pytest.raises(BadRequest, match="File is too big"):
                await client.get_file(update.message.document.file_id)
    finally:
        await runner.cleanup()


async def test_send_media_group(emu: Emu, bot: telegram.Bot) -> None:
    uid = await emu.user()
    first = await bot.send_photo(uid, png(400, 300))
    album = await bot.send_media_group(
        uid,
        [
            InputMediaPhoto(png(900, 900), caption="<i>one</i>", parse_mode="HTML"),
            InputMediaPhoto(first.photo[-1].file_id),
            InputMediaVideo(b"fake-mp4", caption="clip"),
        ],
    )
    assert len(album) == 3
    assert len({m.media_group_id for m in album}) == 1 and album[0].media_group_id
    assert [m.message_id for m in album] == [2, 3, 4]
    assert album[0].caption == "one" and album[2].video is not None
    assert album[1].photo[-1].file_unique_id == first.photo[-1].file_unique_id
    with pytest.raises(BadRequest):
        await bot.send_media_group(uid, [InputMediaPhoto(png(10, 10))])


async def test_send_location_and_get_chat(emu: Emu, bot: telegram.Bot) -> None:
    uid = await emu.user("Minh")
    sent = await bot.send_location(uid, 10.7769, 106.7009, horizontal_accuracy=25)
    assert sent.location is not None and sent.location.latitude == pytest.approx(10.7769)
    chat = await bot.get_chat(uid)
    assert (chat.id, chat.first_name, chat.type) == (uid, "Minh", "private")


async def test_edit_message_text_caption_and_markup(emu: Emu, bot: telegram.Bot) -> None:
    uid = await emu.user()
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
    sent = await bot.send_message(uid, "v1", reply_markup=keyboard)
    edited = await bot.edit_message_text(
        "<b>v2</b>", uid, sent.message_id, parse_mode="HTML", reply_markup=keyboard
    )
    assert isinstance(edited, telegram.Message)
    assert edited.text == "v2" and edited.edit_date is not None
    with pytest.raises(BadRequest, match="Message is not modified: specified new message content"):
        await bot.edit_message_text(
            "<b>v2</b>", uid, sent.message_id, parse_mode="HTML", reply_markup=keyboard
        )
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", uid, 999)
    stripped = await bot.edit_message_reply_markup(uid, sent.message_id, reply_markup=None)
    assert isinstance(stripped, telegram.Message) and stripped.reply_markup is None
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_reply_markup(uid, sent.message_id, reply_markup=None)
    photo = await bot.send_photo(uid, png(20, 20), caption="old")
    recaptioned = await bot.edit_message_caption(uid, photo.message_id, caption="new")
    assert isinstance(recaptioned, telegram.Message) and recaptioned.caption == "new"


async def test_flood_control_in_group(emu: Emu, bot: telegram.Bot) -> None:
    await emu.post("/_emu/config", {"limits": True})
    uid = await emu.user()
    group = await emu.group([uid])
    accepted, refused = 0, list[float | dt.timedelta]()
    for n in range(25):
        try:
            await bot.send_message(group, f"report {n}")
            accepted += 1
        except RetryAfter as exc:
            refused.append(exc.retry_after)
    assert accepted == 20 and len(refused) == 5
    assert all(seconds(r) >= 1 for r in refused)
    calls = await emu.get("/_emu/calls")
    assert sum(1 for c in calls if c["error_code"] == 429) == 5
    async with emu.http.post(
        f"{emu.base}/bot{TOKEN}/sendMessage", json={"chat_id": group, "text": "again"}
    ) as resp:
        body = await resp.json()
        assert resp.status == 429 and body["error_code"] == 429
        assert (
            body["description"]
            == f"Too Many Requests: retry after {body['parameters']['retry_after']}"
        )
        assert body["parameters"]["retry_after"] >= 1


async def test_flood_control_private_burst(emu: Emu, bot: telegram.Bot) -> None:
    await emu.post("/_emu/config", {"limits": True})
    uid = await emu.user()
    for n in range(3):
        await bot.send_message(uid, f"burst {n}")
    with pytest.raises(RetryAfter):
        await bot.send_message(uid, "one too many")
    await asyncio.sleep(1.05)
    await bot.send_message(uid, "after a second")


async def test_blocked_user_is_forbidden(emu: Emu, bot: telegram.Bot) -> None:
    uid = await emu.user()
    await bot.send_message(uid, "hello")
    await emu.post(f"/_emu/users/{uid}/block", {"token": TOKEN})
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(uid, "still there?")
    updates = await bot.get_updates()
    member = updates[-1].my_chat_member
    assert member is not None and member.new_chat_member.status == "kicked"


async def test_kicked_and_migrated_groups(emu: Emu, bot: telegram.Bot) -> None:
    uid = await emu.user()
    group = await emu.group([uid])
    await bot.send_message(group, "in the group")
    moved = await emu.post(f"/_emu/groups/{group}/migrate", {"token": TOKEN})
    new_id = moved["new_id"]
    assert str(new_id).startswith("-100")
    with pytest.raises(ChatMigrated) as info:
        await bot.send_message(group, "old id")
    assert info.value.new_chat_id == new_id
    await bot.send_message(new_id, "new id")
    updates = await bot.get_updates()
    migrations = [u.message for u in updates if u.message and u.message.migrate_to_chat_id]
    assert migrations and migrations[0].migrate_to_chat_id == new_id
    assert any(u.message and u.message.migrate_from_chat_id == group for u in updates)
    await emu.post(f"/_emu/groups/{new_id}/remove_bot", {"token": TOKEN, "by": uid})
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await bot.send_message(new_id, "hello?")


async def test_get_updates_offsets_long_poll_and_webhook_conflict(
    emu: Emu, bot: telegram.Bot
) -> None:
    uid = await emu.user()
    for text in ("one", "two"):
        await emu.post("/_emu/send", {"token": TOKEN, "from": uid, "text": text})
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["one", "two"]
    assert await bot.get_updates(offset=updates[-1].update_id + 1) == ()

    async def later() -> None:
        await asyncio.sleep(0.2)
        await emu.post("/_emu/send", {"token": TOKEN, "from": uid, "text": "three"})

    task = asyncio.create_task(later())
    polled = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=5)
    await task
    assert [u.message.text for u in polled if u.message] == ["three"]
    await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s3cr3t")
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert info.url == "http://127.0.0.1:9/hook"
    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


async def test_flood_counts_album_items_edits_and_global_rate(emu: Emu) -> None:
    clock = FakeClock()
    runner, base = await start_emulator(EmulatorConfig(clock=clock))
    try:
        other = Emu(base, emu.http)
        uid = await other.user()
        async with make_bot(other) as client:
            await client.send_media_group(uid, [InputMediaPhoto(png(8, 8))] * 2)
            first = await client.send_message(uid, "third token")
            with pytest.raises(RetryAfter) as info:
                await client.edit_message_text("edited", uid, first.message_id)
            assert seconds(info.value.retry_after) == 1
            clock.now += 1
            await client.edit_message_text("edited", uid, first.message_id)
            clock.now += 3
            await client.send_media_group(uid, [InputMediaPhoto(png(8, 8))] * 5)
            with pytest.raises(RetryAfter) as info:
                await client.send_message(uid, "in debt")
            assert seconds(info.value.retry_after) == 3

            clock.now += 100
            users = [await other.user(f"u{n}") for n in range(11)]
            sent = 0
            with pytest.raises(RetryAfter):
                for n in range(33):
                    await client.send_message(users[n % 11], "broadcast")
                    sent += 1
            assert sent == 30
    finally:
        await runner.cleanup()
