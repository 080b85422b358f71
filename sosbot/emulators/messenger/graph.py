"""The Graph API surface of the emulator: the Send API, attachment upload, user profiles.

``POST /{version}/me/messages`` (also ``/{version}/{page_id}/messages``) takes JSON, form or
multipart bodies (``filedata`` uploads) and answers ``{"recipient_id", "message_id"}`` (plus
``attachment_id`` for a reusable upload), or Graph's error shape. ``messaging_type`` is
required: ``RESPONSE`` and ``UPDATE`` only within 24 hours of the resident's last message,
``MESSAGE_TAG`` with a tag after that: only ``HUMAN_AGENT`` (within 7 days, for a page
approved for it) is still served.

Meta retired ``CONFIRMED_EVENT_UPDATE``, ``POST_PURCHASE_UPDATE`` and ``ACCOUNT_UPDATE`` on
2026-04-27: "Effective April 27th, 2026, all API requests containing the Message Tags
CONFIRMED_EVENT_UPDATE, ACCOUNT_UPDATE, and POST_PURCHASE_UPDATE will receive error code 100"
(developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages,
message-tags section, as quoted in chatwoot/chatwoot#14669 on 2026-06-08; the answer seen
there is ``(#100) Invalid parameter`` with error_subcode 1893061, and erxes/erxes#9177,
2026-08-27, saw the same error live). Checked 2026-12-07. The emulator answers them so,
whatever the window.
"""

from __future__ import annotations

import logging
import mimetypes
from typing import Any

from aiohttp import web

from sosbot.emulators.common import faults
from sosbot.emulators.common.idempotency import IDEMPOTENCY_KEY, IdempotencyCache
from sosbot.emulators.common.request_body import BodyError, Params, UploadedFile, read_params

from .errors import (
    GraphApiError,
    invalid_param,
    invalid_token,
    no_matching_user,
    outside_window,
    rate_limited,
    unknown_path,
    user_unavailable,
)
from .messages import check_message
from .state import HUMAN_AGENT_WINDOW_S, STATE_KEY, WINDOW_S, EmulatorState, Resident

log = logging.getLogger(__name__)

MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
TAGS = ("HUMAN_AGENT",)
RETIRED_TAGS = ("CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE")
RETIRED_TAG_SUBCODE = 1893061  # seen by chatwoot/chatwoot#14669; Meta documents none
SENDER_ACTIONS = ("typing_on", "typing_off", "mark_seen")


def public_base(request: web.Request, state: EmulatorState) -> str:
    """Where the emulator's attachment URLs point."""
    return (state.config.public_base or str(request.url.origin())).rstrip("/")


def _token_of(request: web.Request, params: Params) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return params.get_str("access_token")


def _json_field(params: Params, name: str) -> Any:
    try:
        return params.get_json(name)
    except ValueError:
        raise invalid_param(f"param {name} must be valid JSON.") from None


def _recipient(state: EmulatorState, params: Params) -> Resident:
    recipient = _json_field(params, "recipient")
    if not isinstance(recipient, dict) or not recipient.get("id"):
        raise invalid_param("param recipient must be non-empty.")
    resident = state.resident(str(recipient["id"]))
    if resident is None:
        raise no_matching_user()
    return resident


def _check_window(state: EmulatorState, resident: Resident, params: Params) -> dict[str, Any]:
    kind = params.get_str("messaging_type")
    if kind not in MESSAGING_TYPES:
        raise invalid_param("param messaging_type must be one of "
                            "{RESPONSE, UPDATE, MESSAGE_TAG}")
    age = (state.clock.now() - resident.last_message_at
           if resident.last_message_at is not None else None)
    if kind != "MESSAGE_TAG":
        if params.has("tag"):
            raise invalid_param("param tag may only be used with messaging_type MESSAGE_TAG")
        if age is None or age > WINDOW_S:
            raise outside_window()
        return {"messaging_type": kind, "tag": None}
    tag = params.get_str("tag")
    if tag in RETIRED_TAGS:
        raise GraphApiError(100, "Invalid parameter", subcode=RETIRED_TAG_SUBCODE)
    if tag not in TAGS:
        raise invalid_param(f"param tag must be one of {{{', '.join(TAGS)}}}")
    if tag == "HUMAN_AGENT" and not state.config.human_agent_approved:
        # The tag needs the "Human Agent" permission (App Review). Meta's exact answer for a
        # page without it is not documented; a permission error is the closest shape.
        raise GraphApiError(10, "(#10) Application does not have permission for this action",
                            subcode=2018065)
    if tag == "HUMAN_AGENT" and (age is None or age > HUMAN_AGENT_WINDOW_S):
        raise outside_window()
    if age is None:  # a tag updates a conversation; it cannot start one
        raise outside_window()
    return {"messaging_type": kind, "tag": tag}


def _store_upload(state: EmulatorState, upload: UploadedFile, kind: str) -> tuple[str, str]:
    """Keep an uploaded file; its CDN path and a file id."""
    if len(upload.data) > state.config.max_upload_bytes:
        raise invalid_param("Upload attachment failure: file is too large.", 2018047)
    mime = (upload.content_type if upload.content_type not in ("", "application/octet-stream")
            else mimetypes.guess_type(upload.filename)[0]) or "application/octet-stream"
    if kind == "image" and not mime.startswith("image/"):
        raise invalid_param("Upload attachment failure.", 2018047)
    stored = state.store_file(upload.data, mime, upload.filename or f"upload.{kind}")
    return stored.path(), stored.id


def _resolve_media(request: web.Request, state: EmulatorState, message: dict[str, Any],
                   upload: UploadedFile | None) -> str | None:
    """Fill the media attachment's URL; a new reusable attachment id, if one was made."""
    attachment = message.get("attachment")
    if not attachment or attachment["type"] == "template":
        return None
    payload = attachment["payload"]
    new_id = None
    if upload is not None:
        path, file_id = _store_upload(state, upload, attachment["type"])
        payload["url"] = public_base(request, state) + path
        if payload.get("is_reusable"):
            new_id = str(10**15 + len(state.reusable) + 1)
            state.reusable[new_id] = state.files[file_id]
    elif payload.get("attachment_id"):
        stored = state.reusable.get(str(payload["attachment_id"]))
        if stored is None:
            raise invalid_param("Invalid attachment_id", 2018008)
        payload["url"] = public_base(request, state) + stored.path()
    payload.pop("is_reusable", None)
    return new_id


def _record(state: EmulatorState, call: dict[str, Any], status: int,
            error: GraphApiError | None) -> None:
    call["status"] = status
    if error is not None:
        call["error"] = {"code": error.code, "error_subcode": error.subcode,
                         "message": error.message}
    state.record_call(call)


async def send_message(request: web.Request) -> web.Response:
    """``POST /{version}/me/messages``: the Send API."""
    state = request.app[STATE_KEY]
    call: dict[str, Any] = {"method": "POST", "path": request.path}
    drawn = request.app[faults.FAULTS_KEY].draw()
    if drawn is not None:
        return await _random_fault(request, drawn, state, call)
    key = IdempotencyCache.key_of(request)
    remembered = request.app[IDEMPOTENCY_KEY].replay(request.path, key)
    if remembered is not None:
        log.info("Send API: answered again for Idempotency-Key %s", key)
        return web.json_response(remembered)
    try:
        result = await _send(request, state, call)
    except GraphApiError as exc:
        _record(state, call, exc.status, exc)
        return web.json_response(exc.payload(), status=exc.status)
    _record(state, call, 200, None)
    request.app[IDEMPOTENCY_KEY].remember(request.path, key, result)
    return web.json_response(result)


async def _random_fault(request: web.Request, kind: str, state: EmulatorState,
                        call: dict[str, Any]) -> web.Response:
    """An injected fault as Graph shows it: ``613`` for the rate limit (HTTP 400, no wait
    named), code 2 "unexpected error" with ``is_transient`` (HTTP 500)."""
    call["fault"] = kind
    if kind == faults.RATE_LIMITED:
        error = rate_limited()
    elif kind == faults.SERVER_ERROR:
        error = GraphApiError(2, "An unexpected error has occurred. Please retry your request "
                              "later.", status=500)
    else:
        state.record_call(call)
        settings = request.app[faults.FAULTS_KEY].settings
        return await faults.transport_fault(request, kind, settings) or \
            faults.drop_connection(request)
    _record(state, call, error.status, error)
    body = error.payload()
    if error.code == 2:
        body["error"]["is_transient"] = True
    return web.json_response(body, status=error.status)


async def _send(request: web.Request, state: EmulatorState,
                call: dict[str, Any]) -> dict[str, Any]:
    try:
        params = await read_params(request)
    except BodyError as exc:
        raise invalid_param(str(exc)) from None
    if _token_of(request, params) != state.config.page_token:
        raise invalid_token()
    page = request.match_info.get("page", "me")
    if page not in ("me", state.config.page_id):
        raise GraphApiError(100, f"Unsupported post request. Object with ID '{page}' does not "
                            "exist, cannot be loaded due to missing permissions, or does not "
                            "support this operation.", subcode=33)
    injected = state.take_failure()
    if injected is not None:
        raise injected
    resident = _recipient(state, params)
    call["recipient"] = resident.psid
    action = params.get_str("sender_action")
    if action is not None:
        if action not in SENDER_ACTIONS:
            raise invalid_param("param sender_action must be one of "
                                "{TYPING_ON, TYPING_OFF, MARK_SEEN}")
        state.acquire_send(media=False)
        call["sender_action"] = action
        return {"recipient_id": resident.psid}
    upload = params.files.get("filedata")
    message = check_message(_json_field(params, "message"), upload is not None)
    media = message.get("attachment", {}).get("type") in ("video", "audio") or upload is not None
    state.acquire_send(media=media)
    window = _check_window(state, resident, params)
    call.update(window)
    if resident.blocked:
        raise user_unavailable()
    attachment_id = _resolve_media(request, state, message, upload)
    mid = state.new_mid()
    record = {"direction": "out", "mid": mid, "timestamp": state.clock.now_ms(), **window,
              **message}
    resident.timeline.append(record)
    call["message"] = sorted(message)
    if state.config.echoes and state.subscribed:
        _echo(state, resident, mid, message)
    result = {"recipient_id": resident.psid, "message_id": mid}
    if attachment_id is not None:
        result["attachment_id"] = attachment_id
    return result


def _echo(state: EmulatorState, resident: Resident, mid: str, message: dict[str, Any]) -> None:
    echo: dict[str, Any] = {"is_echo": True, "app_id": 1517776481860111, "mid": mid}
    if "text" in message:
        echo["text"] = message["text"]
    if "attachment" in message:
        echo["attachments"] = [message["attachment"]]
    if "metadata" in message:
        echo["metadata"] = message["metadata"]
    event = {"sender": {"id": state.config.page_id}, "recipient": {"id": resident.psid},
             "timestamp": state.clock.now_ms(), "message": echo}
    state.deliver([event])


async def upload_attachment(request: web.Request) -> web.Response:
    """``POST /{version}/me/message_attachments``: the Attachment Upload API."""
    state = request.app[STATE_KEY]
    call: dict[str, Any] = {"method": "POST", "path": request.path}
    try:
        params = await read_params(request)
        if _token_of(request, params) != state.config.page_token:
            raise invalid_token()
        upload = params.files.get("filedata")
        message = check_message(_json_field(params, "message"), upload is not None)
        attachment = message.get("attachment")
        if not attachment or attachment["type"] == "template":
            raise invalid_param("param message[attachment] must be a media attachment.")
        if upload is None:
            raise invalid_param("Uploading from a URL is not emulated: send filedata.", 2018047)
        _, file_id = _store_upload(state, upload, attachment["type"])
    except BodyError as exc:
        error = invalid_param(str(exc))
        _record(state, call, error.status, error)
        return web.json_response(error.payload(), status=error.status)
    except GraphApiError as exc:
        _record(state, call, exc.status, exc)
        return web.json_response(exc.payload(), status=exc.status)
    new_id = str(10**15 + len(state.reusable) + 1)
    state.reusable[new_id] = state.files[file_id]
    _record(state, call, 200, None)
    return web.json_response({"attachment_id": new_id})


async def user_profile(request: web.Request) -> web.Response:
    """``GET /{version}/{psid}``: the User Profile API (first_name, last_name, locale)."""
    state = request.app[STATE_KEY]
    params = Params(values=dict(request.query))
    resident = state.resident(request.match_info["node"])
    error: GraphApiError | None = None
    if _token_of(request, params) != state.config.page_token:
        error = invalid_token()
    elif resident is None:
        error = GraphApiError(100, "(#100) Unsupported get request.", subcode=33)
    state.record_call({"method": "GET", "path": request.path,
                       "status": error.status if error else 200})
    if error is not None:
        return web.json_response(error.payload(), status=error.status)
    assert resident is not None
    fields = (request.query.get("fields") or "first_name,last_name").split(",")
    profile = resident.profile()
    return web.json_response({k: v for k, v in profile.items() if k in fields or k == "id"})


async def unknown(request: web.Request) -> web.Response:
    """Any other Graph path."""
    error = unknown_path(request.path)
    return web.json_response(error.payload(), status=error.status)


def add_graph_routes(app: web.Application) -> None:
    """Mount the Graph API routes on ``app``."""
    version = r"{version:v\d+\.\d+}"
    r = app.router
    r.add_post(f"/{version}/me/messages", send_message)
    r.add_post(f"/{version}/{{page:\\d+}}/messages", send_message)
    r.add_post(f"/{version}/me/message_attachments", upload_attachment)
    r.add_post(f"/{version}/{{page:\\d+}}/message_attachments", upload_attachment)
    r.add_get(f"/{version}/{{node:\\d+}}", user_profile)
    r.add_route("*", f"/{version}/{{tail:.*}}", unknown)
