"""Sending to Zalo through the OA Open API, with aiohttp.

One ``aiohttp.ClientSession`` per instance, created on first use. The same code talks to
openapi.zalo.me or to the local emulator: only ``api_base`` differs. Zalo answers errors
with HTTP 200 and ``{"error": <negative code>, "message": …}``; they are mapped onto the
core's error tree here. A refused access token (-216/-220) is refreshed once and the call
retried. Buttons (at most five, ``oa.query.show``) send their payload back as the user's
text, so every choice is also printed as a numbered line and its button sends the number:
pressing and typing are the same answer.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import aiohttp
from PIL import Image, UnidentifiedImageError

from sosbot.bots.media_fetch import MediaFetcher
from sosbot.bots.media_hosts import ZALO_MEDIA_HOSTS, MediaHostPolicy
from sosbot.bots.zalo.tokens import TokenManager
from sosbot.core import idempotency
from sosbot.core.actions import OutgoingMessage
from sosbot.core.errors import (
    DeliveryWindowClosed,
    PermanentSendError,
    QuotaExceeded,
    RateLimited,
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
from sosbot.core.sanitize import truncate

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://openapi.zalo.me"
CS_PATH = "/v3.0/oa/message/cs"
GROUP_MESSAGE_PATH = "/v3.0/oa/group/message"
UPLOAD_IMAGE_PATH = "/v2.0/oa/upload/image"
USER_DETAIL_PATH = "/v3.0/oa/user/detail"

TEXT_LIMIT = 2000
MAX_BUTTONS = 5
BUTTON_TITLE_LIMIT = 100
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_IMAGE_BYTES = 1024 * 1024  # Zalo takes JPEG/PNG up to 1 MB
# Zalo allows 4,000 requests a minute per app; keep a margin for timing jitter.
APP_RULE = RateRule("zalo:app", "window", 3800, 60.0)

TOKEN_REFUSED = frozenset({-216, -220})
RATE_LIMITED = -32
RATE_RETRY_AFTER_S = 60.0
OUTSIDE_WINDOW = frozenset({-230, -232})
# The OA's sending quota or its paying account (docs/platforms/zalo.md "Error codes"): -211
# out of quota, -218 the user's receiving limit reached, -224 the OA's tier package does not
# allow it, -320 the app has no Zalo Cloud Account, -321 that account has no money left.
# Sending again will not help until someone pays or the month turns.
QUOTA_REFUSED = frozenset({-211, -218, -224, -320, -321})
INVALID_PARAMETERS = -201  # "Parameters are invalid" (docs/platforms/zalo.md)
# Where the resident's message a reply answers is named (delivery.resident_sends adds it
# within the free-reply window): Zalo counts a CS message that quotes it as a free reply.
QUOTE_KEY = "quote_message_id"

_MENTION = re.compile(r"\[@[^\]\n]*\] ?")
_VIETNAMESE = re.compile(
    "[ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]",
    re.IGNORECASE)
LOCATION_HINT = {
    "vi": "Trên Zalo: bấm ⋯ cạnh ô soạn tin, chọn «Vị trí» rồi gửi vị trí hiện tại.",
    "en": "On Zalo: tap ⋯ next to the message box, choose «Location» and send your "
          "current location.",
}


def strip_mentions(text: str) -> str:
    """Drop Zalo's ``[@user_id]`` mention syntax, so relayed text can notify nobody."""
    return _MENTION.sub("", text).strip()


def render_message(message: OutgoingMessage) -> dict[str, Any]:
    """The ``message`` object of a CS send: text with numbered choices, and buttons."""
    flat = [choice for row in message.choices for choice in row]
    parts = [message.text.strip()]
    if flat:
        parts.append("\n".join(f"{n}. {c.label}" for n, c in enumerate(flat, start=1)))
        if message.choice_hint:
            parts.append(message.choice_hint)
    if message.request == "location":
        # Zalo has no "share location" button; tell the resident where Zalo keeps it.
        parts.append(LOCATION_HINT["vi" if _VIETNAMESE.search(message.text) else "en"])
    buttons: list[dict[str, Any]] = [
        {"title": truncate(c.label, BUTTON_TITLE_LIMIT), "type": "oa.query.show",
         "payload": str(n)}
        for n, c in enumerate(flat[:MAX_BUTTONS], start=1)
    ]
    if message.link is not None:
        label, url = message.link
        if len(buttons) < MAX_BUTTONS:
            buttons.append({"title": truncate(label, BUTTON_TITLE_LIMIT), "type": "oa.open.url",
                            "payload": {"url": url}})
        else:
            parts.append(f"{label}: {url}")
    rendered: dict[str, Any] = {"text": truncate("\n\n".join(p for p in parts if p),
                                                 TEXT_LIMIT)}
    if buttons:
        rendered["attachment"] = {"type": "template", "payload": {"buttons": buttons}}
    return rendered


def image_message(attachment_id: str, caption: str) -> dict[str, Any]:
    """The ``message`` object that shows an uploaded image, with an optional caption."""
    rendered: dict[str, Any] = {"attachment": {"type": "template", "payload": {
        "template_type": "media",
        "elements": [{"media_type": "image", "attachment_id": attachment_id}]}}}
    if caption.strip():
        rendered["text"] = truncate(caption.strip(), TEXT_LIMIT)
    return rendered


def fit_image(data: bytes, limit: int = UPLOAD_IMAGE_BYTES) -> tuple[bytes, str]:
    """``data`` as a JPEG or PNG of at most ``limit`` bytes (re-encoded smaller if needed)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            kind = (img.format or "").upper()
            if len(data) <= limit and kind in ("JPEG", "PNG"):
                return data, "image/png" if kind == "PNG" else "image/jpeg"
            img.load()
            picture = img.convert("RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise PermanentSendError(f"not an image Zalo can take: {exc}") from exc
    for side in (2560, 2048, 1600, 1280, 1024, 800, 640):
        picture.thumbnail((side, side))
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=82, optimize=True)
        if buffer.tell() <= limit:
            return buffer.getvalue(), "image/jpeg"
    raise PermanentSendError("image still too large for Zalo after downscaling")


class ZaloOutbound:
    """Carries out outbox rows on Zalo and downloads what residents sent.

    Both sides of ``core.senders``: a resident's chat through the customer-service API
    (buttons, quotes, Zalo's billing), a group chat through the group API (GMF: text and
    images only). The destination picks the side, never a payload or a method name."""

    channel = "zalo"

    def __init__(self, tokens: TokenManager, *, api_base: str = DEFAULT_API_BASE,
                 timeout_s: float = 15.0, max_download_bytes: int = MAX_DOWNLOAD_BYTES,
                 media_hosts: Iterable[str] = ZALO_MEDIA_HOSTS) -> None:
        self.tokens = tokens
        self.api_base = api_base.rstrip("/")
        self.timeout_s = timeout_s
        self.max_download_bytes = max_download_bytes
        self.media = MediaFetcher(
            MediaHostPolicy.for_platform("zalo", media_hosts, self.api_base),
            max_bytes=max_download_bytes, timeout_s=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def rate_rules(self, chat_id: str, send: Send) -> list[RateRule]:
        """Every API call counts against the app's 4,000 a minute; no-ops count nothing."""
        return [] if isinstance(send, ButtonAnswer | ButtonsCleared) else [APP_RULE]

    async def fetch_media(self, file_id: str) -> bytes:
        """Download a file a resident sent: ``file_id`` is its URL on Zalo's CDN (or the
        emulator's); any other URL is refused (MediaRefused), never fetched."""
        return await self.media.fetch(file_id)

    async def display_name(self, user_id: str) -> str | None:
        """The follower's display name from their profile (``GET /v3.0/oa/user/detail``
        with ``data={"user_id": …}``; ``data.display_name``), None when Zalo has none.
        Zalo's webhooks carry no name, so cards would otherwise say "Người báo tin"."""
        answer = await self._call(USER_DETAIL_PATH,
                                  query={"data": json.dumps({"user_id": user_id})})
        data = answer.get("data")
        name = data.get("display_name") if isinstance(data, dict) else None
        if not isinstance(name, str) or not name.strip():
            return None
        return name.strip()[:256]

    async def close(self) -> None:
        """Close the HTTP session (and the token manager's)."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        await self.media.close()
        await self.tokens.close()

    # -- a resident's chat: the customer-service API -------------------------------------

    async def send_text(self, chat_id: str, text: Text) -> str | None:
        body = {"recipient": {"user_id": chat_id},
                "message": _quoting(render_message(text.message), text.terms.quote_message_id)}
        return _message_id(await self._cs(body))

    async def send_album(self, chat_id: str, album: Album) -> str | None:
        """Photos from the media store to a resident, one image message each (Zalo has no
        albums); the first carries the caption and is the reply (quotes)."""
        first: str | None = None
        caption = album.caption or ""
        quote = album.terms.quote_message_id
        for item in album.items:
            if not item.is_photo:
                continue
            sent = await self._image(chat_id, item, caption, quote if first is None else None)
            first, caption = first or sent, ""
        return first

    async def answer_button(self, chat_id: str, answer: ButtonAnswer) -> str | None:
        return None  # no button spinner to stop

    async def clear_buttons(self, chat_id: str, cleared: ButtonsCleared) -> str | None:
        return None  # no inline keyboard to remove

    # -- a group chat: the group API (GMF) -----------------------------------------------

    async def post_text(self, chat_id: str, text: Text) -> str | None:
        """Group messages (GMF) carry text only: no buttons, no replies; mentions are
        taken out, so relayed text notifies nobody."""
        plain = truncate(strip_mentions(text.message.text), TEXT_LIMIT)
        if not plain:
            raise PermanentSendError("empty group message")
        body = {"recipient": {"group_id": chat_id}, "message": {"text": plain}}
        return _message_id(await self._call(GROUP_MESSAGE_PATH, body))

    async def post_album(self, chat_id: str, album: Album) -> str | None:
        """Photos from the media store to a group chat, one image message each, the
        caption under the first.

        Videos and files cannot be posted into a group: they are counted on the card.
        """
        first: str | None = None
        caption = album.caption or ""
        for item in album.items:
            if not item.is_photo:
                continue
            sent = await self._group_image(chat_id, item, caption)
            first, caption = first or sent, ""
        return first

    async def edit_post(self, chat_id: str, edit: Edit) -> str | None:
        raise PermanentSendError("zalo cannot edit a message in a group chat")

    async def answer_group_button(self, chat_id: str, answer: ButtonAnswer) -> str | None:
        return None  # group messages carry no buttons

    async def _cs(self, body: dict[str, Any]) -> dict[str, Any]:
        """A message to a resident. One whose quote Zalo refuses (the quoted message gone,
        or never one Zalo delivered: error -201) goes again without it, counted as
        proactive: a quote saves money, it must never cost the resident the message."""
        try:
            return await self._call(CS_PATH, body)
        except InvalidParameters as exc:
            if QUOTE_KEY not in body["message"]:
                raise
            log.info("zalo would not take the quote (%s); sending without it", exc)
            unquoted = {**body, "message": {k: v for k, v in body["message"].items()
                                            if k != QUOTE_KEY}}
            return await self._call(CS_PATH, unquoted)

    async def _image(self, chat_id: str, item: MediaItem, caption: str,
                     quote: str | None) -> str | None:
        attachment_id = await self._upload_image(item)
        message = _quoting(image_message(attachment_id, caption), quote)
        body = {"recipient": {"user_id": chat_id}, "message": message}
        return _message_id(await self._cs(body))

    async def _group_image(self, chat_id: str, item: MediaItem, caption: str) -> str | None:
        attachment_id = await self._upload_image(item)
        body = {"recipient": {"group_id": chat_id},
                "message": image_message(attachment_id, strip_mentions(caption))}
        return _message_id(await self._call(GROUP_MESSAGE_PATH, body))

    async def _upload_image(self, item: MediaItem) -> str:
        path = Path(item.path or "")
        if not path.is_absolute():
            raise PermanentSendError(f"image path must be absolute: {path}")
        try:
            raw = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise PermanentSendError(f"cannot read image {path}: {exc}") from exc
        data, mime = await asyncio.to_thread(fit_image, raw)
        name = path.stem + (".png" if mime == "image/png" else ".jpg")

        def form() -> aiohttp.FormData:
            built = aiohttp.FormData()
            built.add_field("file", data, filename=name, content_type=mime)
            return built

        answer = await self._call(UPLOAD_IMAGE_PATH, form=form)
        attachment_id = (answer.get("data") or {}).get("attachment_id")
        if not isinstance(attachment_id, str) or not attachment_id:
            raise TemporarySendError("zalo upload answered without an attachment_id")
        return attachment_id

    # -- HTTP ---------------------------------------------------------------------------

    async def _call(self, path: str, json_body: dict[str, Any] | None = None, *,
                    form: Callable[[], aiohttp.FormData] | None = None,
                    query: dict[str, str] | None = None) -> dict[str, Any]:
        """POST (GET with ``query``) to the OA API with the current token; refresh it once
        if Zalo refuses it."""
        token = await self.tokens.access_token()
        answer = await self._post(path, token, json_body, form, query)
        if answer.get("error") in TOKEN_REFUSED:
            log.info("zalo refused the access token (%s) on %s; refreshing",
                     answer.get("error"), path)
            token = await self.tokens.refresh(rejected=token)
            answer = await self._post(path, token, json_body, form, query)
        _raise_for(answer, path)
        return answer

    async def _post(self, path: str, token: str, json_body: dict[str, Any] | None,
                    form: Callable[[], aiohttp.FormData] | None,
                    query: dict[str, str] | None = None) -> dict[str, Any]:
        url = self.api_base + path
        headers = {"access_token": token, **idempotency.headers()}
        try:
            if query is not None:
                request = self._http().get(url, params=query, headers=headers)
            elif form is not None:
                request = self._http().post(url, data=form(), headers=headers)
            else:
                request = self._http().post(url, json=json_body, headers=headers)
            async with request as resp:
                if resp.status == 429:
                    raise RateLimited(RATE_RETRY_AFTER_S, f"zalo answered HTTP 429 on {path}")
                if resp.status >= 500:
                    raise TemporarySendError(f"zalo answered HTTP {resp.status} on {path}")
                if resp.status >= 400:
                    raise PermanentSendError(f"zalo answered HTTP {resp.status} on {path}")
                answer = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TemporarySendError(f"zalo call {path} failed: {exc!r}") from exc
        except ValueError as exc:
            raise TemporarySendError(f"zalo answered {path} with something not JSON") from exc
        if not isinstance(answer, dict):
            raise TemporarySendError(f"zalo answered {path} with something not an object")
        return answer

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout_s, connect=5.0))
        return self._session


def _raise_for(answer: dict[str, Any], path: str) -> None:
    """Map Zalo's ``error`` code (HTTP 200) onto the core's errors."""
    code = answer.get("error")
    if code == 0:
        return
    if isinstance(code, bool) or not isinstance(code, int):
        raise TemporarySendError(f"zalo answered {path} without an error code")
    reason = f"zalo error {code} on {path}: {answer.get('message', '')}"
    if code in TOKEN_REFUSED:
        raise TemporarySendError(reason + " (even after a token refresh)")
    if code == RATE_LIMITED:
        raise RateLimited(RATE_RETRY_AFTER_S, reason)
    if code in OUTSIDE_WINDOW:
        raise DeliveryWindowClosed(reason)
    if code in QUOTA_REFUSED:
        raise QuotaExceeded(code, reason)
    if code == INVALID_PARAMETERS:
        raise InvalidParameters(reason)
    raise PermanentSendError(reason)


class InvalidParameters(PermanentSendError):
    """Zalo's -201: a field it will not take (a quote of a message it does not know)."""


def _quoting(message: dict[str, Any], quoted: str | None) -> dict[str, Any]:
    """``message`` quoting the resident's message the send answers, when it names one
    (``message.quote_message_id``, as chatwoot's Zalo OA channel sends it)."""
    if quoted:
        message[QUOTE_KEY] = quoted
    return message


def _message_id(answer: dict[str, Any]) -> str | None:
    data = answer.get("data")
    if isinstance(data, dict) and data.get("message_id"):
        return str(data["message_id"])
    return None

