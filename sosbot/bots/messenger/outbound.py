"""Sending to Messenger through the Graph Send API, with aiohttp.

The same code talks to graph.facebook.com or to the local emulator: only ``api_base``
differs. Every send is ``POST /{version}/me/messages?access_token=<page token>`` with the
``messaging_type`` the 24-hour window allows (see :mod:`window`: no retired tag is ever
sent, HUMAN_AGENT only for officers' words and only when enabled); an image is uploaded with
the message as multipart ``filedata``. Graph errors are mapped onto the core's error tree
(see :mod:`graph_errors`). One aiohttp session (one connection pool) per instance.
"""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import aiohttp

from sosbot.bots.media_fetch import MediaFetcher
from sosbot.bots.media_hosts import MESSENGER_MEDIA_HOSTS, MediaHostPolicy
from sosbot.core import idempotency
from sosbot.core.actions import OutgoingMessage
from sosbot.core.errors import PermanentSendError, SendError, TemporarySendError
from sosbot.core.outbox_rows import Album, ButtonAnswer, ButtonsCleared, Send, Text
from sosbot.core.rates import RateRule

from .graph_errors import parse_graph_error, to_send_error
from .render import render_message
from .window import messaging_fields

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v26.0"
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_BYTES = 25 * 1024 * 1024  # Meta's limit for attachments
# Meta's Send API limits per page: 300 calls/s for text, links and stickers, 10 calls/s for
# audio and video; too many messages to one thread are limited too (no figure given). Keep
# a margin under each, as the Telegram adapter does.
PAGE_PER_S = 250
MEDIA_PER_S = 8
THREAD_BURST = 3
Clock = Callable[[], float]


def rate_rules(chat_id: str, send: Send) -> list[RateRule]:
    """The limits ``send`` to ``chat_id`` counts against (the button sends are no-ops)."""
    if isinstance(send, ButtonAnswer | ButtonsCleared):
        return []
    rules = [RateRule("messenger:page", "window", PAGE_PER_S, 1.0),
             RateRule(f"messenger:thread:{chat_id}", "bucket", THREAD_BURST, 1.0)]
    if isinstance(send, Album):
        rules.append(RateRule("messenger:page:media", "window", MEDIA_PER_S, 1.0))
    return rules


class MessengerOutbound:
    """Sends outbox rows to Messenger residents and downloads what they sent.

    A page talks to people only: this is a ``core.senders.ResidentSender`` and no
    ``GroupSender`` (delivery fails a group row for Messenger before it gets here)."""

    channel = "messenger"

    def __init__(self, page_token: str, *, api_base: str = DEFAULT_API_BASE,
                 api_version: str = DEFAULT_API_VERSION, timeout_s: float = 15.0,
                 upload_timeout_s: float = 60.0, clock: Clock = time.time,
                 media_hosts: Iterable[str] = MESSENGER_MEDIA_HOSTS,
                 human_agent: bool = False) -> None:
        self._token = page_token
        self.api_base = api_base.rstrip("/")
        self.api_version = api_version.strip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_s, connect=5.0)
        self.upload_timeout = aiohttp.ClientTimeout(total=upload_timeout_s, connect=5.0)
        self.clock = clock
        # The page is approved for HUMAN_AGENT and config.yaml enables it (window.py).
        self.human_agent = human_agent
        self.media = MediaFetcher(
            MediaHostPolicy.for_platform("messenger", media_hosts, self.api_base),
            max_bytes=MAX_DOWNLOAD_BYTES, timeout_s=upload_timeout_s)
        self._session: aiohttp.ClientSession | None = None

    @property
    def messages_url(self) -> str:
        """The Send API endpoint."""
        return f"{self.api_base}/{self.api_version}/me/messages"

    async def start(self) -> None:
        """Open the HTTP session (also done on first use)."""
        self._get_session()

    async def close(self) -> None:
        """Close the HTTP sessions."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        await self.media.close()

    def rate_rules(self, chat_id: str, send: Send) -> list[RateRule]:
        return rate_rules(chat_id, send)

    async def fetch_media(self, file_id: str) -> bytes:
        """Download a file a resident sent: ``file_id`` is the attachment's CDN URL (or the
        emulator's); any other URL is refused (MediaRefused), never fetched."""
        try:
            return await self.media.fetch(file_id)
        except TemporarySendError as exc:
            raise TemporarySendError(self._scrub(str(exc))) from exc

    # -- sending --------------------------------------------------------------------------

    async def send_text(self, chat_id: str, text: Text) -> str | None:
        """A text (buttons as quick replies or a template) within the resident's window."""
        fields = messaging_fields(text.terms, self.clock(), human_agent=self.human_agent)
        body = {"recipient": {"id": chat_id}, **fields,
                "message": render_message(text.message)}
        answer = await self._post(data=json.dumps(body, ensure_ascii=False).encode(),
                                  headers={"Content-Type": "application/json"},
                                  timeout=self.timeout)
        return _message_id(answer)

    async def _send_image(self, chat_id: str, path: Path, album: Album) -> str | None:
        fields = messaging_fields(album.terms, self.clock(), human_agent=self.human_agent)
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise PermanentSendError(f"cannot read image {path}: {exc}") from exc
        if len(data) > MAX_UPLOAD_BYTES:
            raise PermanentSendError(f"image too big to send: {len(data)} bytes")
        form = aiohttp.FormData()
        form.add_field("recipient", json.dumps({"id": chat_id}))
        for name, value in fields.items():
            form.add_field(name, value)
        attachment = {"attachment": {"type": "image", "payload": {"is_reusable": True}}}
        form.add_field("message", json.dumps(attachment))
        mime = _image_mime(data) or mimetypes.guess_type(path.name)[0] \
            or "application/octet-stream"
        form.add_field("filedata", data, filename=path.name, content_type=mime)
        answer = await self._post(data=form, headers={}, timeout=self.upload_timeout)
        return _message_id(answer)

    async def send_album(self, chat_id: str, album: Album) -> str | None:
        """Messenger has no albums or captions: each photo, then the caption as a text."""
        first: str | None = None
        for item in album.items:
            if item.is_photo:
                sent = await self._send_image(chat_id, Path(str(item.path or "")), album)
                first = first or sent
        if album.caption:
            sent = await self.send_text(chat_id, Text(OutgoingMessage(text=album.caption),
                                                      terms=album.terms))
            first = first or sent
        return first

    # Quick replies vanish once one is tapped and nothing needs acknowledging.

    async def answer_button(self, chat_id: str, answer: ButtonAnswer) -> str | None:
        return None

    async def clear_buttons(self, chat_id: str, cleared: ButtonsCleared) -> str | None:
        return None

    async def _post(self, *, data: Any, headers: Mapping[str, str],
                    timeout: aiohttp.ClientTimeout) -> dict[str, Any]:
        params = {"access_token": self._token}
        try:
            async with self._get_session().post(self.messages_url, params=params, data=data,
                                                headers={**headers, **idempotency.headers()},
                                                timeout=timeout) as resp:
                raw = await resp.read()
                if resp.status != 200:
                    error = parse_graph_error(resp.status, raw)
                    log.info("Send API refused (HTTP %s): %s", resp.status, error.describe())
                    raise to_send_error(error, resp.headers)
        except SendError:
            raise
        except (aiohttp.ClientError, TimeoutError) as exc:
            message = self._scrub(f"Send API unreachable: {_describe(exc)}")
            raise TemporarySendError(message) from exc
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise TemporarySendError("Send API answered 200 with a body that is not an object")
        return answer

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    def _scrub(self, text: str) -> str:
        """Never let the page token reach a log line or an error message."""
        return text.replace(self._token, "***") if self._token else text


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _message_id(answer: dict[str, Any]) -> str | None:
    value = answer.get("message_id")
    return str(value) if value else None


def _image_mime(data: bytes) -> str | None:
    """The type of an image from its first bytes (media-store files have no extension)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None

