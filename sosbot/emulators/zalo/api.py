"""The Zalo OA Open API and OAuth endpoint, as the emulator serves them.

Like Zalo, every OA API answer is HTTP 200 with ``{"error": 0, "message": "Success",
"data": …}`` or ``{"error": <negative code>, "message": …}``: -216 for an unknown access
token, -220 for an expired one, -32 over 4,000 requests a minute, -232 to a user who never
interacted with the OA and -230 when their last interaction is more than 7 days old,
-201 for malformed parameters and -210 for an image over 1 MB. A CS message is a free
*reply* when it quotes the user's message (``message.quote_message_id``) within 48 hours
of it and among the first 8 since it; any other is *proactive*, counted against the OA's
monthly quota, and refused with -211 once that is spent.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from PIL import Image, UnidentifiedImageError

from sosbot.emulators.common import faults
from sosbot.emulators.common.idempotency import IDEMPOTENCY_KEY, IdempotencyCache

from .state import STATE_KEY, User, ZaloEmulatorState, new_hex_id

log = logging.getLogger(__name__)

CS_PATH = "/v3.0/oa/message/cs"
GROUP_MESSAGE_PATH = "/v3.0/oa/group/message"
UPLOAD_IMAGE_PATH = "/v2.0/oa/upload/image"
GROUPS_OF_OA_PATH = "/v3.0/oa/group/getgroupsofoa"
USER_DETAIL_PATH = "/v3.0/oa/user/detail"
OAUTH_PATH = "/v4/oa/access_token"

BUTTON_TYPES = frozenset({"oa.open.url", "oa.query.show", "oa.query.hide", "oa.open.sms",
                          "oa.open.phone"})
TEXT_LIMIT = 2000  # characters a message: eSMS's Zalo CS docs, checked 2026-12-07 (zalo.md)
RATE_LIMIT_ERROR = -32
QUOTA_ERROR = -211  # "Out of quota": the OA's proactive messages of the month are spent
RATE_LIMIT_MESSAGE = "Exceeded the limit of 4000 requests per minute"
OAUTH_DOC = ("https://developers.zalo.me/docs/official-account/bat-dau/"
             "xac-thuc-va-uy-quyen-cho-ung-dung-new")


class ZaloError(Exception):
    """An OA API error answer (sent with HTTP 200)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(reason: str) -> ZaloError:
    """-201, Zalo's "parameters are invalid"."""
    return ZaloError(-201, f"Parameters are invalid: {reason}")


Handler = Callable[[web.Request, ZaloEmulatorState], Awaitable[dict[str, Any]]]


def api(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Wrap an OA API handler: faults, access token, rate limit, error shape, call log."""

    async def serve(request: web.Request) -> web.Response:
        state = request.app[STATE_KEY]
        entry: dict[str, Any] = {"path": request.path, "at": state.now_ms()}
        drawn = request.app[faults.FAULTS_KEY].draw()
        if drawn is not None:
            return await _random_fault(request, drawn, entry, state)
        key = IdempotencyCache.key_of(request)
        remembered = request.app[IDEMPOTENCY_KEY].replay(request.path, key)
        if remembered is not None:
            log.info("%s: answered again for Idempotency-Key %s", request.path, key)
            return web.json_response(remembered)
        try:
            fault = state.take_fault(request.path)
            if fault is not None and fault.http_status is not None:
                entry["http_status"] = fault.http_status
                state.calls.append(entry)
                return web.json_response({"error": -1, "message": fault.message},
                                         status=fault.http_status)
            if fault is not None:
                raise ZaloError(fault.error or -1, fault.message)
            entry["access_token"] = _authorise(request, state)
            if state.config.limits and state.limiter.try_acquire("app") > 0:
                raise ZaloError(RATE_LIMIT_ERROR, RATE_LIMIT_MESSAGE)
            body: dict[str, Any] = {"data": await handler(request, state), "error": 0,
                                    "message": "Success"}
        except ZaloError as exc:
            body = {"error": exc.code, "message": exc.message}
        entry["error"] = body["error"]
        state.calls.append(entry)
        if body["error"] == 0:
            request.app[IDEMPOTENCY_KEY].remember(request.path, key, body)
        if body["error"] != 0:
            log.info("%s -> %s %s", request.path, body["error"], body["message"])
        return web.json_response(body)

    return serve


async def _random_fault(request: web.Request, kind: str, entry: dict[str, Any],
                        state: ZaloEmulatorState) -> web.Response:
    """An injected fault as Zalo shows it: over the limit is ``-32`` with HTTP 200 (Zalo
    names no wait), a server error HTTP 500."""
    entry["fault"] = kind
    state.calls.append(entry)
    if kind == faults.RATE_LIMITED:
        entry["error"] = RATE_LIMIT_ERROR
        return web.json_response({"error": RATE_LIMIT_ERROR, "message": RATE_LIMIT_MESSAGE})
    if kind == faults.SERVER_ERROR:
        entry["http_status"] = 500
        return web.json_response({"error": -1, "message": "Internal Server Error"}, status=500)
    settings = request.app[faults.FAULTS_KEY].settings
    return await faults.transport_fault(request, kind, settings) or \
        faults.drop_connection(request)


def _authorise(request: web.Request, state: ZaloEmulatorState) -> str:
    token = request.headers.get("access_token") or request.query.get("access_token") or ""
    expires = state.access_tokens.get(token)
    if expires is None:
        raise ZaloError(-216, "Access token is invalid")
    if expires <= state.now():
        raise ZaloError(-220, "Access token has expired")
    return token[:8] + "…"


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise invalid("the body is not JSON") from None
    if not isinstance(body, dict):
        raise invalid("the body is not an object")
    return body


def _recipient(body: dict[str, Any], key: str) -> str:
    recipient = body.get("recipient")
    value = recipient.get(key) if isinstance(recipient, dict) else None
    if not isinstance(value, str) or not value:
        raise invalid(f"recipient.{key} is required")
    return value


def _buttons(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= 5:
        raise invalid("buttons must be a list of 1 to 5 buttons")
    for button in raw:
        if not isinstance(button, dict) or button.get("type") not in BUTTON_TYPES:
            raise invalid("unknown button type")
        title = button.get("title")
        if not isinstance(title, str) or not 1 <= len(title) <= 100:
            raise invalid("button title must be 1 to 100 characters")
        payload = button.get("payload")
        if button["type"] == "oa.open.url":
            if not isinstance(payload, dict) or not isinstance(payload.get("url"), str):
                raise invalid("oa.open.url needs payload.url")
        elif button["type"].startswith("oa.query."):
            if not isinstance(payload, str) or not payload or len(payload) > 1000:
                raise invalid("a query button needs a payload string of 1 to 1000 characters")
    return raw


def _media(state: ZaloEmulatorState, payload: dict[str, Any], origin: str) -> list[Any]:
    elements = payload.get("elements")
    if not isinstance(elements, list) or len(elements) != 1 or \
            not isinstance(elements[0], dict) or elements[0].get("media_type") != "image":
        raise invalid("a media template needs one image element")
    element = elements[0]
    attachment_id, url = element.get("attachment_id"), element.get("url")
    if isinstance(attachment_id, str) and attachment_id in state.files:
        return [{"type": "image", "attachment_id": attachment_id,
                 "url": f"{origin}/_emu/files/{attachment_id}"}]
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return [{"type": "image", "url": url}]
    raise invalid("unknown attachment_id")


def stored_message(state: ZaloEmulatorState, message: Any, *, group: bool,
                   origin: str) -> dict[str, Any]:
    """Check an OA message like Zalo does and return what the emulator keeps of it."""
    if not isinstance(message, dict):
        raise invalid("message is required")
    out: dict[str, Any] = {"msg_id": new_hex_id(), "from": "oa", "at": state.now_ms()}
    text = message.get("text")
    if text is not None:
        if not isinstance(text, str) or not text.strip():
            raise invalid("text must be a non-empty string")
        if len(text) > TEXT_LIMIT:
            raise ZaloError(-210, f"Text is longer than {TEXT_LIMIT} characters")
        out["text"] = text
    attachment = message.get("attachment")
    if attachment is not None:
        if not isinstance(attachment, dict) or attachment.get("type") != "template" or \
                not isinstance(attachment.get("payload"), dict):
            raise invalid("attachment must be a template")
        payload = attachment["payload"]
        if payload.get("template_type") == "media":
            out["attachments"] = _media(state, payload, origin)
        elif "buttons" in payload:
            if group:
                raise invalid("group messages do not take buttons")
            if text is None:
                raise invalid("buttons need a text")
            out["buttons"] = _buttons(payload["buttons"])
        else:
            raise invalid("unsupported template")
    if text is None and attachment is None:
        raise invalid("the message is empty")
    return out


async def send_cs(request: web.Request, state: ZaloEmulatorState) -> dict[str, Any]:
    """``POST /v3.0/oa/message/cs``: a consultation message to a user."""
    body = await _json_body(request)
    user = state.users.get(_recipient(body, "user_id"))
    if user is None:
        raise invalid("user_id is unknown")
    if user.last_interaction is None:
        raise ZaloError(-232, "User has not interacted with the OA")
    elapsed = state.now() - user.last_interaction
    if elapsed > state.config.window_s:
        raise ZaloError(-230, "User has not interacted with the OA in the last 7 days")
    message = body.get("message")
    stored = stored_message(state, message, group=False, origin=str(request.url.origin()))
    quoted = message.get("quote_message_id") if isinstance(message, dict) else None
    billing = _billing(state, user, quoted, elapsed)
    stored["billing"] = billing
    stored["billable"] = billing != "reply"
    if quoted is not None:
        stored["quote_message_id"] = quoted
    user.messages.append(stored)
    return {"message_id": stored["msg_id"], "user_id": user.id}


def _billing(state: ZaloEmulatorState, user: User, quoted: Any, elapsed: float) -> str:
    """How Zalo counts a CS message (docs/platforms/zalo.md "Free replies"): a *reply* —
    free — when it quotes one of the user's messages, within 48 hours of the user's last
    message and among the first 8 since it; anything else is *proactive* and needs the
    OA's quota (-211 once the month's is spent)."""
    theirs = {m["msg_id"] for m in user.messages if m.get("from") == user.id}
    if isinstance(quoted, str) and quoted and quoted not in theirs:
        raise invalid("quote_message_id is not a message of this user")
    if quoted and elapsed <= state.config.free_window_s \
            and user.free_replies_used < state.config.free_replies:
        user.free_replies_used += 1
        return "reply"
    month = time.strftime("%Y-%m", time.gmtime(state.now()))
    used = state.proactive_used.get(month, 0)
    if used >= state.config.proactive_quota:
        raise ZaloError(QUOTA_ERROR, "Out of quota")
    state.proactive_used[month] = used + 1
    return "proactive"


async def send_group(request: web.Request, state: ZaloEmulatorState) -> dict[str, Any]:
    """``POST /v3.0/oa/group/message``: a message to a group chat of the OA (GMF)."""
    body = await _json_body(request)
    group = state.groups.get(_recipient(body, "group_id"))
    if group is None or not group.oa_in:
        raise invalid("the group does not exist or the OA is not in it")
    stored = stored_message(state, body.get("message"), group=True,
                            origin=str(request.url.origin()))
    group.messages.append(stored)
    return {"message_id": stored["msg_id"]}


async def upload_image(request: web.Request, state: ZaloEmulatorState) -> dict[str, Any]:
    """``POST /v2.0/oa/upload/image`` (multipart ``file``): a JPEG or PNG up to 1 MB."""
    if request.content_type != "multipart/form-data":
        raise invalid("the image must be sent as multipart/form-data")
    form = await request.post()
    field = form.get("file")
    if not isinstance(field, web.FileField):
        raise invalid("file is required")
    data = field.file.read()
    if len(data) > state.config.max_upload_bytes:
        raise ZaloError(-210, "The image is larger than 1 MB")
    try:
        with Image.open(io.BytesIO(data)) as img:
            kind = (img.format or "").upper()
    except (UnidentifiedImageError, OSError, ValueError):
        raise invalid("the file is not an image") from None
    if kind not in ("JPEG", "PNG"):
        raise invalid("only jpg and png images are accepted")
    stored = state.add_file(data, "image/png" if kind == "PNG" else "image/jpeg",
                            field.filename)
    return {"attachment_id": stored.id}


def _query_int(request: web.Request, name: str, default: int) -> int:
    try:
        return int(request.query.get(name, default))
    except ValueError:
        raise invalid(f"{name} must be an integer") from None


async def groups_of_oa(request: web.Request, state: ZaloEmulatorState) -> dict[str, Any]:
    """``GET /v3.0/oa/group/getgroupsofoa?offset=&count=``: the OA's groups."""
    offset = max(_query_int(request, "offset", 0), 0)
    count = min(max(_query_int(request, "count", 5), 1), 50)
    groups = [g for g in state.groups.values() if g.oa_in]
    page = groups[offset:offset + count]
    return {"total": len(groups), "count": len(page), "groups": [
        {"group_id": g.id, "name": g.name, "avatar": "", "status": "enabled",
         "total_member": len(g.members) + 1} for g in page]}


async def user_detail(request: web.Request, state: ZaloEmulatorState) -> dict[str, Any]:
    """``GET /v3.0/oa/user/detail?data={"user_id": …}``: a follower's profile.

    Shape as integrators document it (docs/platforms/zalo.md "Follower profile"): string
    ids, ``display_name``, ``user_is_follower``, avatars. -201 for malformed ``data``; a
    user who never interacted with the OA is unknown to it (-213, "not a follower").
    """
    try:
        data = json.loads(request.query.get("data", ""))
    except ValueError:
        raise invalid("data must be JSON with user_id") from None
    user_id = data.get("user_id") if isinstance(data, dict) else None
    if not isinstance(user_id, str | int) or isinstance(user_id, bool) or not str(user_id):
        raise invalid("data.user_id is required")
    user = state.users.get(str(user_id))
    if user is None or (not user.follower and user.last_interaction is None):
        raise ZaloError(-213, "User has not followed the OA")
    avatar = f"https://s120-ava-talk.zadn.vn/emu/{user.id}.jpg"
    return {"user_id": user.id, "user_id_by_app": user.id_by_app,
            "display_name": user.name, "user_alias": "", "user_is_follower": user.follower,
            "avatar": avatar, "avatars": {"120": avatar, "240": avatar},
            "user_last_interaction_date": "" if user.last_interaction is None else
            time.strftime("%d/%m/%Y", time.gmtime(user.last_interaction))}


def _oauth_error(code: int, reason: str) -> web.Response:
    return web.json_response({"error_name": "Invalid parameter", "error_reason": reason,
                              "ref_doc": OAUTH_DOC, "error_description": reason,
                              "error": code})


async def oauth_access_token(request: web.Request) -> web.Response:
    """``POST /v4/oa/access_token``: spend a refresh token for a new pair (single use)."""
    state = request.app[STATE_KEY]
    fault = state.take_fault(request.path)
    if fault is not None:
        if fault.http_status is not None:
            return web.json_response({"error": -1, "message": fault.message},
                                     status=fault.http_status)
        return _oauth_error(fault.error or -1, fault.message)
    form = await request.post()
    token = form.get("refresh_token")
    record: dict[str, Any] = {"at": state.now_ms(), "refresh_token": token, "ok": False}
    state.refreshes.append(record)
    if request.headers.get("secret_key") != state.config.app_secret:
        record["error"] = -14002
        return _oauth_error(-14002, "Invalid secret key")
    if form.get("app_id") != state.config.app_id:
        record["error"] = -14001
        return _oauth_error(-14001, "Invalid app_id")
    if form.get("grant_type") != "refresh_token" or not isinstance(token, str):
        record["error"] = -14003
        return _oauth_error(-14003, "Invalid parameter")
    if not state.refresh_tokens.get(token, False):
        record["error"] = -14014
        log.info("refused a refresh token that is unknown or already used")
        return _oauth_error(-14014, "Invalid refresh token")
    state.refresh_tokens[token] = False
    record["ok"] = True
    return web.json_response(state.issue_tokens())


def add_api_routes(app: web.Application) -> None:
    """Mount the OA API and the OAuth endpoint on ``app``."""
    r = app.router
    r.add_post(CS_PATH, api(send_cs))
    r.add_post(GROUP_MESSAGE_PATH, api(send_group))
    r.add_post(UPLOAD_IMAGE_PATH, api(upload_image))
    r.add_get(GROUPS_OF_OA_PATH, api(groups_of_oa))
    r.add_get(USER_DETAIL_PATH, api(user_detail))
    r.add_post(OAUTH_PATH, oauth_access_token)
