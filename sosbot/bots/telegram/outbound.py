"""Sending to Telegram with python-telegram-bot's ``Bot``.

The same code talks to api.telegram.org or to the local emulator: only ``api_base`` differs.
Every text is escaped for HTML parse mode here, so nothing a resident typed can become markup.
Platform errors are mapped onto the core's small error tree.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any, TypeVar

from telegram import (
    Bot,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from sosbot.bots.telegram.aiohttp_request import AiohttpRequest
from sosbot.core.actions import OutgoingMessage
from sosbot.core.errors import (
    ChatMoved,
    PermanentSendError,
    RateLimited,
    RecipientGone,
    TemporarySendError,
)
from sosbot.core.outbox_rows import (
    Album,
    ButtonAnswer,
    ButtonsCleared,
    Edit,
    MediaItem,
    Send,
    Text,
)
from sosbot.core.rates import RateRule
from sosbot.core.text_units import truncate_utf16

log = logging.getLogger(__name__)

# Bot API sendMessage "1-4096 characters after entities parsing", captions "0-1024"
# (https://core.telegram.org/bots/api#sendmessage, #sendphoto; checked 2026-12-07). Counted
# here in UTF-16 units, the stricter reading (docs/platforms/telegram.md).
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
# Telegram's limits (Bot FAQ): about 1 message/s in a chat with short bursts, 20 a minute
# in a group, about 30/s overall. Answering a button press sends no message.
GLOBAL_PER_S = 30
GROUP_PER_MIN = 20
CHAT_BURST = 3
# Officers first (issue 18): a send to a resident's private chat may take at most this many
# of the GLOBAL_PER_S slots; the rest are kept for group chats (cards, their edits and
# albums), which may take every slot. A flood of replies to residents leaves the cards'
# share free, in every worker alike (both count in the same Redis window).
RESIDENT_PER_S = 20
# Sends reach Telegram a little earlier or later than we time them: keep a margin so the
# jitter of a busy machine or network never turns into a 429.
MARGIN = 1.2


def rate_rules(chat_id: str, send: Send) -> list[RateRule]:
    """The limits ``send`` to ``chat_id`` counts against (answering a button posts
    nothing)."""
    if isinstance(send, ButtonAnswer):
        return []
    group = chat_id.startswith("-")  # groups and supergroups have negative ids
    rules = [RateRule("telegram:global", "window", GLOBAL_PER_S if group else RESIDENT_PER_S,
                      1.0 * MARGIN),
             RateRule(f"telegram:chat:{chat_id}", "bucket", CHAT_BURST, 1.0 * MARGIN)]
    if group:
        rules.append(RateRule(f"telegram:group:{chat_id}", "window", GROUP_PER_MIN,
                              60.0 + MARGIN))
    return rules
T = TypeVar("T")


def render_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """Plain text → Telegram HTML: the plain text cut to ``limit`` first, then escaped.

    Telegram counts its limits after entities parsing, so the cut is made on what the
    reader sees: cutting the escaped HTML instead could end inside ``&amp;`` (a 400,
    "can't parse entities") and would count each ``&lt;`` as four."""
    return html.escape(truncate_utf16(text, limit), quote=False)


def render_caption(text: str) -> str:
    """A caption under a photo or an album: the same, within Telegram's caption limit."""
    return render_text(text, CAPTION_LIMIT)


def render_markup(message: OutgoingMessage) -> dict[str, Any] | None:
    """Inline buttons, a location/contact reply keyboard, or the removal of one: the Bot
    API's JSON (``InlineKeyboardMarkup``, ``ReplyKeyboardMarkup``, ``ReplyKeyboardRemove``),
    the very fields python-telegram-bot's objects would serialize to."""
    if message.choices or message.link:
        rows: list[list[dict[str, Any]]] = [
            [{"callback_data": c.value, "text": c.label} for c in row]
            for row in message.choices]
        if message.link:
            rows.append([{"text": message.link[0], "url": message.link[1]}])
        return {"inline_keyboard": rows}
    if message.request is not None:
        button = {"request_contact": message.request == "contact",
                  "request_location": message.request == "location",
                  "text": message.request_label or message.request}
        return {"keyboard": [[button]], "one_time_keyboard": True, "resize_keyboard": True}
    if message.remove_keyboard:
        return {"remove_keyboard": True}
    return None


class TelegramOutbound:
    """One bot client per process (one HTTP connection pool), shared by every job."""

    channel = "telegram"

    def __init__(self, token: str, api_base: str, *, timeout_s: float = 15.0,
                 pool_size: int = 16, flood_limits: bool = True) -> None:
        base = api_base.rstrip("/")
        self.flood_limits = flood_limits
        # python-telegram-bot's calls on aiohttp (aiohttp_request: a fifth of httpx's CPU
        # per call), each with its send's Idempotency-Key.
        request = AiohttpRequest(connection_pool_size=pool_size, read_timeout=timeout_s,
                                 write_timeout=timeout_s, connect_timeout=5.0,
                                 pool_timeout=timeout_s)
        file_request = AiohttpRequest(connection_pool_size=4, read_timeout=60.0,
                                      write_timeout=60.0, connect_timeout=5.0)
        self.bot = Bot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot",
                       request=request, get_updates_request=file_request)

    async def start(self) -> None:
        await self.bot.initialize()

    async def close(self) -> None:
        await self.bot.shutdown()

    def rate_rules(self, chat_id: str, send: Send) -> list[RateRule]:
        return rate_rules(chat_id, send) if self.flood_limits else []

    # Telegram has one API for residents' and groups' chats: both sides (core.senders) are
    # the same calls. Each returns the platform's message id when one was created.

    async def send_text(self, chat_id: str, text: Text) -> str | None:
        return await _mapped(_send_message(self.bot, chat_id, text))

    async def send_album(self, chat_id: str, album: Album) -> str | None:
        return await _mapped(_media_group(self.bot, chat_id, album))

    async def answer_button(self, chat_id: str, answer: ButtonAnswer) -> str | None:
        return await _mapped(_answer_button(self.bot, answer))

    async def clear_buttons(self, chat_id: str, cleared: ButtonsCleared) -> str | None:
        return await _mapped(_clear_buttons(self.bot, chat_id, cleared))

    async def edit_post(self, chat_id: str, edit: Edit) -> str | None:
        return await _mapped(_edit_message(self.bot, chat_id, edit))

    post_text = send_text
    post_album = send_album
    answer_group_button = answer_button

    async def fetch_media(self, file_id: str) -> bytes:
        """Download a file a resident sent (getFile, then the file path)."""
        async def fetch() -> bytes:
            file = await self.bot.get_file(file_id)
            if file.file_size is not None and file.file_size > MAX_DOWNLOAD_BYTES:
                raise PermanentSendError(f"file too big: {file.file_size} bytes")
            return bytes(await file.download_as_bytearray())
        return await _mapped(fetch())

    async def group_privacy(self) -> tuple[str, bool]:
        """The bot's @username and whether group privacy mode is on (getMe's
        ``can_read_all_group_messages`` is false): then the bot sees, in a group where it is
        not an administrator, only commands, replies to its messages and service messages."""
        me = await _mapped(self.bot.get_me())
        return me.username or str(me.id), not me.can_read_all_group_messages

    async def set_webhook(self, url: str, secret: str) -> None:
        await _mapped(self.bot.set_webhook(url, secret_token=secret,
                                           allowed_updates=["message", "edited_message",
                                                            "callback_query",
                                                            "my_chat_member"]))


# What every text and edit carries besides its text: HTML parse mode (render_text escapes),
# no link previews.
_TEXT_OPTIONS: dict[str, Any] = {"parse_mode": ParseMode.HTML.value,
                                 "link_preview_options": {"is_disabled": True}}


async def _send_message(bot: Bot, chat_id: str, send: Text) -> str | None:
    message = send.message
    reply_to = _message_id(send.reply_to)
    sent = await _call(bot, "sendMessage", {
        "chat_id": chat_id, "text": render_text(message.text), **_TEXT_OPTIONS,
        "reply_markup": render_markup(message),
        "reply_parameters": {"message_id": reply_to} if reply_to is not None else None})
    return str(sent["message_id"])


async def _call(bot: Bot, endpoint: str, data: dict[str, Any]) -> Any:
    """One Bot API call through python-telegram-bot's own request layer (``Bot._post``:
    the same HTTP client, timeouts, request hooks and error mapping as ``bot.send_message``),
    with the parameters as the Bot API's JSON, and the answer's ``result`` as the JSON it is.

    Why not ``bot.send_message``: building its parameter objects and parsing every answer
    into a ``Message`` (its chat, sender, entities, keyboard) was a large part of a worker's
    CPU per send (bench/FINDINGS.md, session 9), and only the message id is read. The
    requests are the same fields (tests/bots/telegram/test_outbound_wire.py). A None value is
    left out, as python-telegram-bot leaves it out."""
    return await bot._post(endpoint, data)


def _message_id(value: str | None) -> int | None:
    """A stored message id as Telegram takes it; PermanentSendError for one that is no
    number (a row that can never be sent)."""
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise PermanentSendError(f"not a Telegram message id: {value!r}") from None


async def _answer_button(bot: Bot, answer: ButtonAnswer) -> str | None:
    try:
        await bot.answer_callback_query(answer.callback_id, text=answer.text or None)
    except BadRequest as exc:
        # The spinner has long stopped by itself; nothing left to answer.
        if "query is too old" not in str(exc):
            raise
        log.info("callback %s expired before it was answered", answer.callback_id)
    return None


async def _clear_buttons(bot: Bot, chat_id: str, cleared: ButtonsCleared) -> str | None:
    message_id = _message_id(cleared.message_id)
    assert message_id is not None
    try:
        await bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except BadRequest as exc:
        if "message is not modified" not in str(exc) and "not found" not in str(exc):
            raise
    return None


async def _edit_message(bot: Bot, chat_id: str, edit: Edit) -> str | None:
    message = edit.message
    message_id = _message_id(edit.message_id)
    try:
        await _call(bot, "editMessageText", {
            "chat_id": chat_id, "message_id": message_id, "text": render_text(message.text),
            **_TEXT_OPTIONS, "reply_markup": render_markup(message)})
    except BadRequest as exc:
        if "message is not modified" not in str(exc):
            raise
    return edit.message_id


_INPUT_MEDIA = {"photo": InputMediaPhoto, "video": InputMediaVideo,
                "document": InputMediaDocument}


async def _media_group(bot: Bot, chat_id: str, album: Album) -> str | None:
    """Photos/videos (and, separately, documents) from the media store, under a card."""
    reply_to = _message_id(album.reply_to)
    caption = render_caption(album.caption) if album.caption else None
    visual = [i for i in album.items if i.is_visual]
    documents = [i for i in album.items if not i.is_visual]
    first: str | None = None
    for group in (visual, documents):
        if not group:
            continue
        if len(group) == 1:
            item = group[0]
            with open(_path(item), "rb") as handle:
                common: dict[str, Any] = {"reply_to_message_id": reply_to, "caption": caption,
                                          "parse_mode": ParseMode.HTML}
                if item.kind == "photo":
                    sent = await bot.send_photo(chat_id, handle, **common)
                elif item.kind == "video":
                    sent = await bot.send_video(chat_id, handle, **common)
                else:
                    sent = await bot.send_document(chat_id, handle, **common)
            caption = None
            first = first or str(sent.message_id)
            continue
        media: list[Any] = []
        for item in group:
            with open(_path(item), "rb") as handle:
                kind = _INPUT_MEDIA.get(item.kind, InputMediaDocument)
                media.append(kind(handle.read(), caption=caption, parse_mode=ParseMode.HTML)
                             if caption and not media else kind(handle.read()))
        caption = None
        messages = await bot.send_media_group(chat_id, media, reply_to_message_id=reply_to)
        first = first or str(messages[0].message_id)
    return first


def _path(item: MediaItem) -> str:
    if not item.path:
        raise PermanentSendError(f"media {item.sha256[:12]} has no file to send")
    return item.path


def _retry_after_seconds(exc: RetryAfter) -> float:
    value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _mapped(call: Awaitable[T]) -> T:
    """Await ``call``, translating Telegram's errors into the core's."""
    try:
        return await call
    except RetryAfter as exc:
        raise RateLimited(_retry_after_seconds(exc), str(exc)) from exc
    except ChatMigrated as exc:
        raise ChatMoved(str(exc.new_chat_id)) from exc
    except Forbidden as exc:
        raise RecipientGone(str(exc)) from exc
    except InvalidToken as exc:
        raise PermanentSendError(f"invalid bot token: {exc}") from exc
    except BadRequest as exc:
        raise PermanentSendError(str(exc)) from exc
    except (TimedOut, NetworkError) as exc:
        raise TemporarySendError(str(exc)) from exc
    except TelegramError as exc:
        raise TemporarySendError(str(exc)) from exc
