"""The Bot API surface of the emulator: ``/bot<token>/<method>`` and file downloads."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sosbot.emulators.common import faults
from sosbot.emulators.common.idempotency import IDEMPOTENCY_KEY, IdempotencyCache
from sosbot.emulators.common.request_body import BodyError, ParamError, read_params

from . import send
from .errors import (
    CALLBACK_TOO_OLD,
    GET_UPDATES_CONFLICT,
    GET_UPDATES_TERMINATED,
    ApiError,
    bad_request,
    too_many_requests,
)
from .state import STATE_KEY, ApiCall, EmulatorState, Webhook

log = logging.getLogger(__name__)

_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_KNOWN_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "message_reaction",
        "message_reaction_count",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)


@dataclass
class Described:
    """A result that comes with a ``description`` next to it (setWebhook and friends)."""

    value: Any
    description: str


Handler = Callable[[ApiCall], Awaitable[Any]]


async def get_me(call: ApiCall) -> Any:
    """getMe."""
    me = call.bot.user_dict()
    me.update(
        can_join_groups=True,
        can_read_all_group_messages=not call.bot.privacy,
        supports_inline_queries=False,
        can_connect_to_business=False,
        has_main_web_app=False,
    )
    return me


def _allowed_updates(call: ApiCall) -> list[str] | None:
    raw = call.params.get_json("allowed_updates")
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise bad_request("can't parse allowed_updates JSON array")
    return [x for x in raw if x in _KNOWN_UPDATE_TYPES]


async def set_webhook(call: ApiCall) -> Any:
    """setWebhook (http:// URLs are accepted, unlike on Telegram, for loopback tests)."""
    bot, p = call.bot, call.params
    url = (p.get_str("url") or "").strip()
    if not url:
        return await delete_webhook(call)
    if not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.get_str("secret_token")
    if secret is not None and not _SECRET_RE.match(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = p.get_int("max_connections") or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    allowed = _allowed_updates(call)
    if allowed is not None:
        bot.allowed_updates = allowed
    if p.get_bool("drop_pending_updates"):
        bot.queue.clear()
    previous = bot.webhook
    bot.webhook = Webhook(url=url, secret_token=secret, max_connections=max_connections)
    if previous is not None and previous.url == url:
        bot.webhook.last_error_date = previous.last_error_date
        bot.webhook.last_error_message = previous.last_error_message
    call.state.sender_for(bot).max_concurrency = max_connections
    call.state.flush_queue_to_webhook(bot)
    bot.wakeup.set()
    log.info("bot @%s webhook set to %s", bot.username, url)
    return Described(True, "Webhook was set")


async def delete_webhook(call: ApiCall) -> Any:
    """deleteWebhook."""
    bot = call.bot
    if call.params.get_bool("drop_pending_updates"):
        bot.queue.clear()
    if bot.webhook is None:
        return Described(True, "Webhook is already deleted")
    bot.webhook = None
    log.info("bot @%s webhook deleted", bot.username)
    return Described(True, "Webhook was deleted")


async def get_webhook_info(call: ApiCall) -> Any:
    """getWebhookInfo."""
    bot = call.bot
    if bot.webhook is None:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": len(bot.queue)}
    hook = bot.webhook
    info: dict[str, Any] = {
        "url": hook.url,
        "has_custom_certificate": False,
        "pending_update_count": bot.sender.pending if bot.sender else 0,
        "max_connections": hook.max_connections,
        "ip_address": "127.0.0.1",
    }
    if bot.allowed_updates:
        info["allowed_updates"] = list(bot.allowed_updates)
    if hook.last_error_date is not None:
        info["last_error_date"] = hook.last_error_date
        info["last_error_message"] = hook.last_error_message or ""
    return info


async def get_updates(call: ApiCall) -> Any:
    """getUpdates with offset/limit/timeout; 409 while a webhook is set."""
    bot, p = call.bot, call.params
    if bot.webhook is not None:
        raise ApiError(409, GET_UPDATES_CONFLICT)
    offset = p.get_int("offset")
    limit = min(max(p.get_int("limit") or 100, 1), 100)
    timeout = max(p.get_float("timeout") or 0.0, 0.0)
    allowed = _allowed_updates(call)
    if allowed is not None:
        bot.allowed_updates = allowed
    if offset is not None:
        if offset < 0:
            bot.queue = bot.queue[offset:]
        else:
            bot.queue = [u for u in bot.queue if u["update_id"] >= offset]
    bot.poll_generation += 1
    generation = bot.poll_generation
    bot.wakeup.set()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if generation != bot.poll_generation:
            raise ApiError(409, GET_UPDATES_TERMINATED)
        if bot.webhook is not None:
            raise ApiError(409, GET_UPDATES_CONFLICT)
        if bot.queue:
            return bot.queue[:limit]
        remaining = deadline - loop.time()
        if remaining <= 0:
            return []
        bot.wakeup.clear()
        try:
            await asyncio.wait_for(bot.wakeup.wait(), remaining)
        except TimeoutError:
            continue


async def get_chat(call: ApiCall) -> Any:
    """getChat: a ChatFullInfo."""
    chat = send.resolve_chat(call.state, call.params.raw("chat_id"))
    info = chat.to_dict()
    info.update(
        accent_color_id=0,
        max_reaction_count=11,
        accepted_gift_types={
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    )
    return info


async def get_file(call: ApiCall) -> Any:
    """getFile; files over the download limit (20 MB) are refused like on Telegram."""
    file_id = call.params.get_str("file_id")
    if not file_id:
        raise bad_request("file_id is empty")
    stored = call.state.files.by_id.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.size > call.state.config.max_download_bytes:
        raise bad_request("file is too big")
    return stored.file_object()


async def answer_callback_query(call: ApiCall) -> Any:
    """answerCallbackQuery; unknown or already answered ids are refused."""
    p = call.params
    query_id = p.get_str("callback_query_id")
    record = call.bot.callbacks.get(query_id or "")
    if record is None or record.answered:
        raise ApiError(400, CALLBACK_TOO_OLD)
    text = p.get_str("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    record.answered = True
    call.state.callback_answers.append(
        {
            "callback_query_id": record.id,
            "text": text,
            "show_alert": p.get_bool("show_alert"),
        }
    )
    return True


METHODS: dict[str, tuple[str, Handler]] = {
    name.lower(): (name, handler)
    for name, handler in (
        ("getMe", get_me),
        ("setWebhook", set_webhook),
        ("deleteWebhook", delete_webhook),
        ("getWebhookInfo", get_webhook_info),
        ("getUpdates", get_updates),
        ("getChat", get_chat),
        ("getFile", get_file),
        ("answerCallbackQuery", answer_callback_query),
        ("sendMessage", send.send_message),
        ("sendPhoto", send.send_photo),
        ("sendVideo", send.send_video),
        ("sendDocument", send.send_document),
        ("sendMediaGroup", send.send_media_group),
        ("sendLocation", send.send_location),
        ("editMessageText", send.edit_message_text),
        ("editMessageCaption", send.edit_message_caption),
        ("editMessageReplyMarkup", send.edit_message_reply_markup),
    )
}


def _chat_id_for_log(raw: Any) -> int | str | None:
    if raw is None:
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return str(raw)


async def handle_api(request: web.Request) -> web.Response:
    """Serve one Bot API call and log it in the call log."""
    state: EmulatorState = request.app[STATE_KEY]
    method_name = request.match_info["method"]
    entry: dict[str, Any] = {"method": method_name, "chat_id": None, "at": time.time()}
    body: dict[str, Any]
    if state.config.answer_delay_s > 0:  # the network's round trip (EmulatorConfig)
        await asyncio.sleep(state.config.answer_delay_s)
    try:
        bot = state.bots.get(request.match_info["token"])
        if bot is None:
            raise ApiError(401, "Unauthorized")
        known = METHODS.get(method_name.lower())
        if known is None:
            raise ApiError(404, "Not Found")
        entry["method"], handler = known
        try:
            params = await read_params(request)
        except BodyError as exc:
            raise bad_request(str(exc)) from None
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, "Request Entity Too Large") from None
        entry["chat_id"] = _chat_id_for_log(params.raw("chat_id"))
        chat = None if entry["chat_id"] is None else str(entry["chat_id"])
        fault = request.app[faults.FAULTS_KEY].draw(chat)
        if fault is not None:
            return await _fault(request, fault, entry, state)
        key = IdempotencyCache.key_of(request)
        remembered = request.app[IDEMPOTENCY_KEY].replay(f"{bot.token}:{entry['method']}", key)
        if remembered is not None:
            log.info("%s: answered again for Idempotency-Key %s", entry["method"], key)
            return web.json_response(remembered)
        result = await handler(ApiCall(state, bot, params))
        body = {"ok": True}
        if isinstance(result, Described):
            body["result"] = result.value
            body["description"] = result.description
        else:
            body["result"] = result
        status = 200
    except ParamError as exc:
        problem = "is empty" if exc.problem == "is required" else exc.problem
        err = bad_request(f"{exc.name} {problem}")
        body, status = err.payload(), err.code
    except ApiError as exc:
        body, status = exc.payload(), exc.code
    entry["status"] = status
    entry["error_code"] = None if status == 200 else status
    state.calls.append(entry)
    if status == 200 and bot is not None:
        request.app[IDEMPOTENCY_KEY].remember(f"{bot.token}:{entry['method']}",
                                               IdempotencyCache.key_of(request), body)
    if status != 200:
        log.info("%s -> %s %s", entry["method"], status, body.get("description"))
    return web.json_response(body, status=status)


async def _fault(request: web.Request, kind: str, entry: dict[str, Any],
                 state: EmulatorState) -> web.Response:
    """An injected fault, answered as Telegram answers (or does not answer)."""
    settings = request.app[faults.FAULTS_KEY].settings
    entry["status"] = entry["error_code"] = None
    entry["fault"] = kind
    state.calls.append(entry)
    if kind == faults.RATE_LIMITED:
        err = too_many_requests(settings.retry_after_s)
    elif kind == faults.SERVER_ERROR:
        err = ApiError(500, "Internal Server Error")
    else:
        return await faults.transport_fault(request, kind, settings) or \
            faults.drop_connection(request)
    entry["status"] = entry["error_code"] = err.code
    log.info("%s -> injected %s", entry["method"], err.code)
    return web.json_response(err.payload(), status=err.code)


async def handle_file(request: web.Request) -> web.StreamResponse:
    """``/file/bot<token>/<file_path>``: the raw bytes of a stored file."""
    state: EmulatorState = request.app[STATE_KEY]
    if request.match_info["token"] not in state.bots:
        err = ApiError(401, "Unauthorized")
        return web.json_response(err.payload(), status=401)
    stored = state.files.by_path.get(request.match_info["path"])
    if stored is None:
        err = ApiError(404, "Not Found")
        return web.json_response(err.payload(), status=404)
    if stored.size > state.config.max_download_bytes:
        err = bad_request("file is too big")
        return web.json_response(err.payload(), status=400)
    return web.Response(
        body=stored.data, content_type=stored.mime_type or "application/octet-stream"
    )


def add_api_routes(app: web.Application) -> None:
    """Mount the Bot API and the file download routes on ``app``."""
    app.router.add_route("*", "/bot{token}/{method}", handle_api)
    app.router.add_get("/file/bot{token}/{path:.+}", handle_file)
