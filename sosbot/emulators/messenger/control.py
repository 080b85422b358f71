"""The emulator's control API under ``/_emu/``: set up the world and inspect what happened.

=============================================  ==============================================
``POST /_emu/users``                           ``{first_name, last_name?, psid?, locale?}`` →
                                               ``{psid}``
``POST /_emu/users/{psid}/block`` / unblock    the resident blocks the page (sends → 551)
``GET /_emu/users/{psid}/messages``            the conversation, oldest first: ``direction``
                                               ``in`` (the resident) or ``out`` (the page,
                                               with ``messaging_type``, ``tag``, ``text``,
                                               ``quick_replies``, ``attachment``)
``POST /_emu/send``, ``/_emu/send_batch``      residents act (see ``emulator_residents``)
``GET /_emu/calls``                            the Graph API call log
``GET``/``POST /_emu/config``                  settings (webhook_url, app_secret, …)
``POST /_emu/subscribe``                       Meta's GET verification of the webhook
``GET``/``POST /_emu/clock``                   ``{"advance_s"}`` moves time forward
``POST /_emu/fail_next``                       ``{status?, code, subcode?, message?, count?}``:
                                               the next Send API calls fail so
``POST /_emu/reset``                           forget residents, messages, files and logs
``GET /cdn/{id}/{name}``                       the bytes behind an attachment URL
=============================================  ==============================================

JSON in, JSON out; malformed requests get 400 ``{"error": ...}``.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from typing import Any

import aiohttp
from aiohttp import web

from sosbot.emulators.common.request_body import BodyError, Params, read_json_object

from . import residents
from .errors import ControlError, GraphApiError
from .state import STATE_KEY, EmulatorState, InjectedFailure, Resident

log = logging.getLogger(__name__)

_CONFIG_TYPES: dict[str, type] = {
    "page_id": str, "page_name": str, "page_token": str, "app_secret": str,
    "verify_token": str, "webhook_url": str, "public_base": str, "echoes": bool,
    "limits": bool, "page_per_s": int, "media_per_s": int, "retry_base_s": float,
    "human_agent_approved": bool,
    "max_retries": int, "webhook_timeout_s": float, "max_upload_bytes": int,
}
_SECRETS = ("page_token", "app_secret", "verify_token")


def state_of(request: web.Request) -> EmulatorState:
    return request.app[STATE_KEY]


async def json_params(request: web.Request) -> Params:
    try:
        return Params(values=await read_json_object(request))
    except BodyError as exc:
        raise ControlError(str(exc)) from None


def resident_of(request: web.Request) -> Resident:
    psid = request.match_info["psid"]
    resident = state_of(request).resident(psid)
    if resident is None:
        raise ControlError(f"unknown resident {psid!r}", status=404)
    return resident


async def create_user(request: web.Request) -> web.Response:
    """``POST /_emu/users``: a new resident; their PSID is generated unless given."""
    state = state_of(request)
    params = await json_params(request)
    first_name = params.raw("first_name")
    if not isinstance(first_name, str) or not first_name.strip():
        raise ControlError("first_name must be a non-empty string")
    psid = params.get_str("psid") or state.new_psid()
    if not psid.isdigit() or psid in state.residents:
        raise ControlError(f"psid {psid!r} is not a number or is taken")
    resident = Resident(psid=psid, first_name=first_name,
                        last_name=params.get_str("last_name") or "",
                        locale=params.get_str("locale") or "vi_VN")
    state.residents[psid] = resident
    return web.json_response({"psid": psid})


async def list_users(request: web.Request) -> web.Response:
    """``GET /_emu/users``: every resident, without their messages."""
    users = [{**r.profile(), "psid": r.psid, "blocked": r.blocked,
              "last_message_at": r.last_message_at} for r in state_of(request).residents.values()]
    return web.json_response({"users": users})


async def _set_block(request: web.Request, blocked: bool) -> web.Response:
    resident = resident_of(request)
    resident.blocked = blocked
    return web.json_response({"psid": resident.psid, "blocked": blocked})


async def block_user(request: web.Request) -> web.Response:
    """``POST /_emu/users/{psid}/block``: sends to this resident now answer 551."""
    return await _set_block(request, True)


async def unblock_user(request: web.Request) -> web.Response:
    """``POST /_emu/users/{psid}/unblock``."""
    return await _set_block(request, False)


async def user_messages(request: web.Request) -> web.Response:
    """``GET /_emu/users/{psid}/messages``: what the resident and the page said, in order."""
    return web.json_response({"messages": resident_of(request).timeline})


async def calls(request: web.Request) -> web.Response:
    """``GET /_emu/calls``: the Graph API call log."""
    return web.json_response(state_of(request).calls)


def _config_dict(state: EmulatorState) -> dict[str, Any]:
    cfg = state.config
    out = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg) if f.name != "clock"}
    out["subscribed"] = state.subscribed
    return out


async def get_config(request: web.Request) -> web.Response:
    """``GET /_emu/config``: the current settings."""
    return web.json_response(_config_dict(state_of(request)))


async def set_config(request: web.Request) -> web.Response:
    """``POST /_emu/config``: partial update; a new webhook_url must be verified again."""
    state = state_of(request)
    params = await json_params(request)
    unknown = set(params.values) - set(_CONFIG_TYPES)
    if unknown:
        raise ControlError(f"unknown config fields: {', '.join(sorted(unknown))}")
    changes: dict[str, Any] = {}
    for name, kind in _CONFIG_TYPES.items():
        if name not in params.values:
            continue
        value: Any
        if kind is bool:
            value = params.get_bool(name)
        elif kind is int:
            value = params.get_int(name)
        elif kind is float:
            value = params.get_float(name)
        else:
            value = params.get_str(name)
        if kind in (int, float) and (value is None or value < 0):
            raise ControlError(f"{name} must be a number >= 0")
        if name in _SECRETS and not value:
            raise ControlError(f"{name} must be a non-empty string")
        changes[name] = value
    for name, value in changes.items():
        setattr(state.config, name, value)
    if "webhook_url" in changes:
        state.subscribed = False
    state.apply_config()
    return web.json_response(_config_dict(state))


async def subscribe(request: web.Request) -> web.Response:
    """``POST /_emu/subscribe {url?}``: verify the webhook the way Meta does.

    ``GET <url>?hub.mode=subscribe&hub.verify_token=<verify_token>&hub.challenge=<n>``; the
    webhook must answer 200 with exactly the challenge. Deliveries start only after that.
    """
    state = state_of(request)
    params = await json_params(request)
    url = params.get_str("url") or state.config.webhook_url
    if not url:
        raise ControlError("no webhook url: give url or set webhook_url in /_emu/config")
    challenge = str(secrets.randbelow(10**9) + 10**9)
    query = {"hub.mode": "subscribe", "hub.verify_token": state.config.verify_token,
             "hub.challenge": challenge}
    status: int | None = None
    answer = ""
    try:
        timeout = aiohttp.ClientTimeout(total=state.config.webhook_timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as http, \
                http.get(url, params=query) as resp:
            status = resp.status
            answer = (await resp.text())[:200]
    except (aiohttp.ClientError, TimeoutError) as exc:
        answer = f"{type(exc).__name__}: {exc}"
    ok = status == 200 and answer.strip() == challenge
    if ok:
        state.config.webhook_url = url
    state.subscribed = ok
    return web.json_response({"ok": ok, "status": status, "challenge": challenge,
                              "answer": answer}, status=200 if ok else 409)


async def get_clock(request: web.Request) -> web.Response:
    """``GET /_emu/clock``: the emulator's epoch time and its offset from the wall clock."""
    clock = state_of(request).clock
    return web.json_response({"now": clock.now(), "offset_s": clock.offset})


async def set_clock(request: web.Request) -> web.Response:
    """``POST /_emu/clock {"advance_s"}``: move time forward (the 24-hour window follows)."""
    state = state_of(request)
    params = await json_params(request)
    advance = params.get_float("advance_s", required=True)
    assert advance is not None
    if advance < 0:
        raise ControlError("advance_s must be >= 0: the clock only moves forward")
    state.clock.advance(advance)
    return await get_clock(request)


async def fail_next(request: web.Request) -> web.Response:
    """``POST /_emu/fail_next``: the next ``count`` Send API calls answer this error."""
    state = state_of(request)
    params = await json_params(request)
    code = params.get_int("code", required=True)
    status = params.get_int("status") or 400
    count = params.get_int("count") or 1
    assert code is not None
    if not 400 <= status <= 599 or count < 1:
        raise ControlError("status must be 4xx or 5xx and count >= 1")
    message = params.get_str("message") or f"(#{code}) Emulated failure"
    error = GraphApiError(code, message, subcode=params.get_int("subcode"), status=status)
    state.failures.append(InjectedFailure(error, count))
    return web.json_response({"queued": sum(f.remaining for f in state.failures)})


async def reset(request: web.Request) -> web.Response:
    """``POST /_emu/reset``: forget residents, messages, files and logs; keep settings."""
    state_of(request).reset()
    return web.json_response({"ok": True})


async def cdn_file(request: web.Request) -> web.Response:
    """``GET /cdn/{id}/{name}``: the bytes behind an attachment URL."""
    stored = state_of(request).files.get(request.match_info["file_id"])
    if stored is None:
        raise web.HTTPNotFound()
    return web.Response(body=stored.data, content_type=stored.mime_type)


def add_control_routes(app: web.Application) -> None:
    """Mount every ``/_emu/`` route and the file server on ``app``."""
    r = app.router
    r.add_post("/_emu/users", create_user)
    r.add_get("/_emu/users", list_users)
    r.add_post("/_emu/users/{psid}/block", block_user)
    r.add_post("/_emu/users/{psid}/unblock", unblock_user)
    r.add_get("/_emu/users/{psid}/messages", user_messages)
    r.add_post("/_emu/send", residents.handle_send)
    r.add_post("/_emu/send_batch", residents.handle_send_batch)
    r.add_get("/_emu/calls", calls)
    r.add_get("/_emu/config", get_config)
    r.add_post("/_emu/config", set_config)
    r.add_post("/_emu/subscribe", subscribe)
    r.add_get("/_emu/clock", get_clock)
    r.add_post("/_emu/clock", set_clock)
    r.add_post("/_emu/fail_next", fail_next)
    r.add_post("/_emu/reset", reset)
    r.add_get("/cdn/{file_id}/{name}", cdn_file)
