"""Telegram's limits, held on both sides: the emulator refuses what Telegram refuses, in
Telegram's words (text over 4,096 and captions over 1,024 after entities parsing, albums of
more than 10 items or none, callback data over 64 bytes), and what sosbot sends (its longest
card, a bulletin under a photo, captions full of HTML-special characters) stays inside them.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import telegram
from aiohttp import web
from PIL import Image
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from sosbot.bots.telegram import outbound
from sosbot.bots.telegram.outbound import TelegramOutbound, render_caption
from sosbot.command_centre import bulletins
from sosbot.core import message_limits
from sosbot.core.actions import OutgoingMessage
from sosbot.core.cards import CardView, TargetState, render_card
from sosbot.core.model import Category, Destination, Location, LocationSource, Report, ReportStatus
from sosbot.core.outbox_rows import Album, MediaItem, PhotosRow, Text
from sosbot.core.text_units import truncate_utf16, utf16_len
from sosbot.core.texts import text as resident_text
from sosbot.emulators.telegram.app import BotSpec, EmulatorConfig, create_app
from sosbot.emulators.telegram.html_text import parse_html
from sosbot.storage.tables import Bulletin, Subscription

RESIDENT = Destination.RESIDENT

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

TOKEN = "7100000001:LIMITS-token"
FIRE = "🔥"  # outside the Basic Multilingual Plane: two UTF-16 units
# Vietnamese with every character HTML escapes: a cut of the escaped text lands in "&amp;".
HOSTILE = "Cháy & khói <tầng 2> \"nhà số 5\" — người dân đang thoát ra & gọi 114. "


@dataclass
class World:
    base: str
    http: aiohttp.ClientSession
    bot: telegram.Bot
    chat: int

    async def stored(self) -> list[dict[str, Any]]:
        url = f"{self.base}/_emu/chats/{self.chat}/messages"
        async with self.http.get(url) as response:
            return (await response.json())["messages"]  # type: ignore[no-any-return]

    async def api(self, method: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        async with self.http.post(f"{self.base}/bot{TOKEN}/{method}", json=body) as response:
            return response.status, await response.json()


@pytest.fixture
async def world() -> AsyncIterator[World]:
    app = create_app(bots=[BotSpec(TOKEN, "sos_limits_bot")], config=EmulatorConfig(limits=False))
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/_emu/users", json={"first_name": "Lan"}) as response:
            chat = int((await response.json())["id"])
        async with telegram.Bot(TOKEN, base_url=f"{base}/bot") as bot:
            yield World(base, http, bot, chat)
    await runner.cleanup()


def jpeg(path: Path, colour: tuple[int, int, int]) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


# -- the emulator refuses as Telegram does ----------------------------------------------------

async def test_text_over_4096_units_is_refused(world: World) -> None:
    await world.bot.send_message(world.chat, FIRE * 2048)  # 4,096 units
    for text in ("a" * 4097, FIRE * 2049):  # 2,049 characters, 4,098 units
        with pytest.raises(BadRequest, match="Message is too long"):
            await world.bot.send_message(world.chat, text)


async def test_text_is_counted_after_entities_parsing(world: World) -> None:
    # 4,096 characters once "&lt;" is read as "<": accepted, though the HTML is longer.
    await world.bot.send_message(world.chat, "&lt;" * 4096, parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is too long"):
        await world.bot.send_message(world.chat, "&lt;" * 4097, parse_mode="HTML")


async def test_caption_over_1024_units_is_refused(world: World, tmp_path: Path) -> None:
    photo = jpeg(tmp_path / "a.jpg", (200, 40, 30)).read_bytes()
    await world.bot.send_photo(world.chat, photo, caption=FIRE * 512)
    for caption in ("a" * 1025, FIRE * 513):
        with pytest.raises(BadRequest, match="Message caption is too long"):
            await world.bot.send_photo(world.chat, photo, caption=caption)


async def test_albums_of_none_or_more_than_ten_are_refused(world: World,
                                                           tmp_path: Path) -> None:
    sent = await world.bot.send_photo(world.chat, jpeg(tmp_path / "a.jpg", (1, 2, 3)).read_bytes())
    file_id = sent.photo[-1].file_id
    item = {"type": "photo", "media": file_id}
    for media, description in (([], "Bad Request: there are no messages to send"),
                               ([item] * 11, "Bad Request: too many messages to send as an album")):
        status, answer = await world.api("sendMediaGroup", {"chat_id": world.chat,
                                                            "media": media})
        assert (status, answer["description"]) == (400, description)
    status, answer = await world.api("sendMediaGroup", {"chat_id": world.chat,
                                                        "media": [item] * 10})
    assert status == 200 and len(answer["result"]) == 10


async def test_callback_data_over_64_bytes_is_refused(world: World) -> None:
    def buttons(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("✅", callback_data=data)]])
    await world.bot.send_message(world.chat, "thẻ", reply_markup=buttons("đ" * 32))  # 64 bytes
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        # 33 characters, 66 bytes: the limit is in bytes.
        await world.bot.send_message(world.chat, "thẻ", reply_markup=buttons("đ" * 33))


# -- sosbot stays inside them ------------------------------------------------------------------

def test_a_caption_is_cut_as_plain_text_then_escaped() -> None:
    rendered = render_caption(HOSTILE * 40)
    plain, _ = parse_html(rendered)  # would raise on a cut inside "&amp;"
    assert utf16_len(plain) <= outbound.CAPTION_LIMIT
    assert plain == truncate_utf16(HOSTILE * 40, outbound.CAPTION_LIMIT)
    assert plain.endswith("…")


async def test_a_long_caption_full_of_html_characters_is_sent(world: World,
                                                              tmp_path: Path) -> None:
    sender = TelegramOutbound(TOKEN, world.base, flood_limits=False)
    await sender.start()
    try:
        items = tuple(MediaItem("photo", "0" * 64,
                                path=str(jpeg(tmp_path / f"{n}.jpg", (n * 90, 20, 20))))
                      for n in range(2))
        await sender.send_album(str(world.chat), Album(items, caption=HOSTILE * 40))
        await sender.send_text(str(world.chat), Text(OutgoingMessage(text=FIRE * 5000)))
    finally:
        await sender.close()
    album, text = (await world.stored())[-3], (await world.stored())[-1]
    assert album["caption"] == truncate_utf16(HOSTILE * 40, 1024)
    assert utf16_len(text["text"]) <= 4096


def _bulletin(body: str, photo: bool) -> Bulletin:
    return Bulletin(id=7, created_at=datetime.now(UTC), created_by="TTCH", text=body,
                    media_sha256="ab" * 32 if photo else None, status=bulletins.SENDING)


@pytest.mark.parametrize("channel", ["telegram", "zalo", "messenger"])
@pytest.mark.parametrize("photo", [True, False])
def test_a_long_bulletin_keeps_its_footer_within_the_platform_limit(channel: str,
                                                                    photo: bool) -> None:
    body = (HOSTILE * 60)[:bulletins.MAX_TEXT]
    row = bulletins._row_for(_bulletin(body, photo),
                             Subscription(channel=channel, chat_id="1", lang="vi"))
    text = row.caption if isinstance(row, PhotosRow) else row.message.text
    assert text is not None and isinstance(row, PhotosRow) == photo
    limit = bulletins.limit_for(channel, caption=photo)
    assert utf16_len(text) <= limit
    assert text.startswith(resident_text("vi", "bulletin_header"))
    assert text.endswith(resident_text("vi", "bulletin_footer"))
    if channel == "telegram" and photo:
        assert limit == outbound.CAPTION_LIMIT


def test_the_message_limits_are_the_adapters() -> None:
    from sosbot.bots.messenger import render as messenger
    from sosbot.bots.zalo import outbound as zalo
    assert message_limits.MESSAGE_UNITS == {"telegram": outbound.TEXT_LIMIT,
                                            "zalo": zalo.TEXT_LIMIT,
                                            "messenger": messenger.TEXT_LIMIT}
    assert message_limits.CAPTION_UNITS == {"telegram": outbound.CAPTION_LIMIT}


def _longest_card_view() -> CardView:
    """Every field a resident controls at its longest, and all of it emoji."""
    report = Report(code="SOS-269999", category=Category.FIRE, status=ReportStatus.ROUTED,
                    channel="telegram", chat_id="1", description=FIRE * 3000,
                    address_text=FIRE * 300, reporter_name=FIRE * 128, phone="+84901234567",
                    location=Location(lat=10.7776, lon=106.6437, accuracy_m=15,
                                      source=LocationSource.VENUE, label=FIRE * 512),
                    media_count=10, media_missing=2, created_at_epoch=1_795_000_000)
    targets = tuple(TargetState("department", f"Phòng nghiệp vụ số {n} Công an Thành phố",
                                "acknowledged", FIRE * 64, 1_795_000_100) for n in range(6))
    return CardView(report=report, ward_name="Phường Tân Phú", location_how="boundary",
                    reporter_channel="telegram", duplicates=12, ward_has_group=False,
                    targets=targets)


@pytest.mark.parametrize("buttons", [True, False])
async def test_the_longest_card_fits_and_keeps_its_status_lines(world: World,
                                                                buttons: bool) -> None:
    card = render_card(_longest_card_view(), lambda action: f"{action.value}.1",
                       buttons=buttons)
    assert utf16_len(card.text) <= outbound.TEXT_LIMIT
    assert card.text.split("\n")[-3 if not buttons else -1].startswith(" • Phòng nghiệp vụ số 5")
    sender = TelegramOutbound(TOKEN, world.base, flood_limits=False)
    await sender.start()
    try:
        await sender.send_text(str(world.chat), Text(card))
    finally:
        await sender.close()
    assert (await world.stored())[-1]["text"] == card.text
