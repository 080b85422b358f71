"""The Zalo emulator's control API under ``/_emu/``: play users, move time, inspect.

JSON in, JSON out; malformed requests get 400 ``{"error": …}``. Routes:

- ``POST /_emu/users`` {name, id?, phone?, follow=true, wait=true} → {id, statuses}
- ``POST /_emu/users/{id}/follow`` and ``/unfollow`` {wait?} → {statuses}
- ``POST /_emu/groups`` {name, members: [user ids], wait?} → {id, statuses}: a GMF group
  with the OA in it (``create_group``); ``POST /_emu/groups/{id}/disperse``
  {event_name?: disperse_group | delete_group},
  ``/join`` {user} and ``/leave`` {user}
- ``POST /_emu/send`` {from, exactly one of text / location {latitude, longitude} /
  image {data_b64, caption?} (or a list of them) / video {data_b64, file_name?} /
  file {data_b64, file_name} / sticker {id?} / link {url, description?} /
  business_card {phone, name?, user_id?}, group_id?, wait=true} → {msg_id, statuses}
- ``GET /_emu/users/{id}/messages``, ``GET /_emu/groups/{id}/messages``: both directions,
  ``from`` is ``"oa"`` for what the OA sent (text, buttons, attachments, billable)
- ``GET /_emu/calls``: the OA API call log; ``GET /_emu/webhooks``: delivery attempts
- ``GET|POST /_emu/config`` (a new ``webhook_url`` is checked first, as Zalo does: an
  unsigned POST of ``{}`` that must be answered 200, else 400 and the URL is not saved);
  ``POST /_emu/reset``; ``POST /_emu/clock`` {advance_s}
- ``POST /_emu/tokens``: issue a new token pair (what an administrator gets from Zalo's
  authorisation page); ``GET /_emu/tokens``: the refresh log
- ``POST /_emu/faults`` {path, error? | http_status?, message?, times=1}
- ``GET /_emu/files/{id}``: the bytes of a file a user sent or the OA uploaded

``statuses`` are the webhook's final HTTP statuses (null when no webhook is set or it
could not be reached), once every retry is done; with ``wait: false`` the call returns
at once and ``statuses`` is empty.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

from aiohttp import web

from sosbot.emulators.common.request_body import BodyError, read_json_object

from . import user as users
from .errors import ControlError
from .state import STATE_KEY, Fault, Group, User, ZaloEmulatorState, new_hex_id
from .webhook import check_url

log = logging.getLogger(__name__)

__all__ = ["add_control_routes"]

_STRINGS = ("app_id", "app_secret", "oa_id", "oa_secret_key")
_NUMBERS: dict[str, tuple[type, float]] = {
    "webhook_timeout_s": (float, 0.001),
    "requests_per_min": (int, 1),
    "access_token_ttl_s": (float, 1.0),
    "free_window_s": (float, 0.0),
    "window_s": (float, 0.0),
    "free_replies": (int, 0),
    "proactive_quota": (int, 0),
    "max_upload_bytes": (int, 1),
}


def _state(request: web.Request) -> ZaloEmulatorState:
    return request.app[STATE_KEY]


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        return await read_json_object(request)
    except BodyError as exc:
        raise ControlError(str(exc)) from None


def _str(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise ControlError(f"{name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ControlError(f"{name} must be a string")
    return str(value)


def _bool(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ControlError(f"{name} must be true or false")
    return value


def _user(state: ZaloEmulatorState, user_id: str | None, what: str = "user") -> User:
    user = state.users.get(user_id or "")
    if user is None:
        raise ControlError(f"unknown {what} {user_id!r}")
    return user


def _group(state: ZaloEmulatorState, group_id: str | None) -> Group:
    group = state.groups.get(group_id or "")
    if group is None:
        raise ControlError(f"unknown group {group_id!r}", status=404)
    return group


async def _finish(emitted: list[asyncio.Future[int | None] | None],
                  wait: bool) -> dict[str, Any]:
    if not wait:
        return {"statuses": []}
    statuses: list[int | None] = []
    for future in emitted:
        statuses.append(None if future is None else await future)
    return {"statuses": statuses}


async def create_user(request: web.Request) -> web.Response:
    """``POST /_emu/users``: a Zalo user, following the OA unless ``follow`` is false."""
    state = _state(request)
    body = await _body(request)
    name = _str(body, "name", required=True)
    assert name is not None
    user_id = _str(body, "id")
    if user_id is not None and user_id in state.users:
        raise ControlError(f"user id {user_id} is taken")
    user = state.add_user(name, user_id, _str(body, "phone"))
    emitted = []
    if _bool(body, "follow", True):
        emitted.append(_set_follow(state, user, True))
    result = await _finish(emitted, _bool(body, "wait", True))
    return web.json_response({"id": user.id, **result})


def _set_follow(state: ZaloEmulatorState, user: User,
                follow: bool) -> asyncio.Future[int | None] | None:
    user.follower = follow
    if follow:
        user.last_interaction = state.now()  # following counts as an interaction
    return state.emit(user.id, users.follow_event(state, user, follow))


async def _follow(request: web.Request, follow: bool) -> web.Response:
    state = _state(request)
    user = _user(state, request.match_info["user_id"])
    body = await _body(request)
    emitted = [_set_follow(state, user, follow)]
    return web.json_response(await _finish(emitted, _bool(body, "wait", True)))


async def follow(request: web.Request) -> web.Response:
    """``POST /_emu/users/{id}/follow``."""
    return await _follow(request, True)


async def unfollow(request: web.Request) -> web.Response:
    """``POST /_emu/users/{id}/unfollow``."""
    return await _follow(request, False)


async def create_group(request: web.Request) -> web.Response:
    """``POST /_emu/groups``: a group the OA created, with ``members``."""
    state = _state(request)
    body = await _body(request)
    name = _str(body, "name", required=True)
    assert name is not None
    members = body.get("members") or []
    if not isinstance(members, list):
        raise ControlError("members must be a list of user ids")
    member_ids = [_user(state, _str({"m": m}, "m"), "member").id for m in members]
    group = Group(id=new_hex_id(), name=name, members=member_ids)
    state.groups[group.id] = group
    event = users.group_event(state, group, "create_group", member_user_ids=member_ids)
    result = await _finish([state.emit(group.id, event)], _bool(body, "wait", True))
    return web.json_response({"id": group.id, **result})


async def disperse_group(request: web.Request) -> web.Response:
    """``POST /_emu/groups/{id}/disperse``: the group is gone; sends to it fail."""
    state = _state(request)
    group = _group(state, request.match_info["group_id"])
    body = await _body(request)
    # Zalo's sources name this event disperse_group or delete_group: a test picks one.
    name = _str(body, "event_name") or "disperse_group"
    if name not in ("disperse_group", "delete_group"):
        raise ControlError("event_name must be disperse_group or delete_group")
    group.oa_in = False
    event = users.group_event(state, group, name)
    return web.json_response(await _finish([state.emit(group.id, event)],
                                           _bool(body, "wait", True)))


async def _membership(request: web.Request, join: bool) -> web.Response:
    state = _state(request)
    group = _group(state, request.match_info["group_id"])
    body = await _body(request)
    user = _user(state, _str(body, "user", required=True))
    if join and user.id not in group.members:
        group.members.append(user.id)
    elif not join and user.id in group.members:
        group.members.remove(user.id)
    name = "user_join_group" if join else "user_out_group"
    event = users.group_event(state, group, name, actor=user.id, member_user_ids=[user.id])
    return web.json_response(await _finish([state.emit(group.id, event)],
                                           _bool(body, "wait", True)))


async def join_group(request: web.Request) -> web.Response:
    """``POST /_emu/groups/{id}/join`` {user}."""
    return await _membership(request, True)


async def leave_group(request: web.Request) -> web.Response:
    """``POST /_emu/groups/{id}/leave`` {user}."""
    return await _membership(request, False)


async def send(request: web.Request) -> web.Response:
    """``POST /_emu/send``: a user writes to the OA, or in a group with ``group_id``."""
    state = _state(request)
    body = await _body(request)
    user = _user(state, _str(body, "from", required=True), "from")
    group_id = _str(body, "group_id")
    group = _group(state, group_id) if group_id else None
    if group is not None and (not group.oa_in or user.id not in group.members):
        raise ControlError(f"user {user.id} cannot write in group {group.id}")
    kind, value = users.content_of(body)
    message = users.message_of(state, user, kind, value, str(request.url.origin()))
    event = users.user_event(state, user, kind, message, group)
    record = {"msg_id": message["msg_id"], "from": user.id, "at": event["timestamp"],
              "event_name": event["event_name"], "message": message}
    if group is None:
        user.last_interaction = state.now()
        user.free_replies_used = 0  # Zalo gives 8 new free replies with each message
        user.messages.append(record)
    else:
        group.messages.append(record)
    emitted = [state.emit(group.id if group else user.id, event)]
    result = await _finish(emitted, _bool(body, "wait", True))
    return web.json_response({"msg_id": message["msg_id"], **result})


async def user_messages(request: web.Request) -> web.Response:
    """``GET /_emu/users/{id}/messages``."""
    user = _user(_state(request), request.match_info["user_id"])
    return web.json_response({"messages": user.messages})


async def group_messages(request: web.Request) -> web.Response:
    """``GET /_emu/groups/{id}/messages``."""
    group = _group(_state(request), request.match_info["group_id"])
    return web.json_response({"messages": group.messages, "members": group.members,
                              "oa_in": group.oa_in})


async def calls(request: web.Request) -> web.Response:
    """``GET /_emu/calls``: every OA API call, oldest first."""
    return web.json_response(_state(request).calls)


async def webhooks(request: web.Request) -> web.Response:
    """``GET /_emu/webhooks``: delivery attempts, and events with no webhook to go to."""
    state = _state(request)
    return web.json_response({"attempts": state.webhook_attempts,
                              "undelivered": state.undelivered,
                              "url_checks": state.url_checks})


def _config_dict(state: ZaloEmulatorState) -> dict[str, Any]:
    cfg = state.config
    out = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg) if f.name != "clock"}
    out["retry_schedule_s"] = list(cfg.retry_schedule_s)
    return out


async def get_config(request: web.Request) -> web.Response:
    """``GET /_emu/config``."""
    return web.json_response(_config_dict(_state(request)))


async def set_config(request: web.Request) -> web.Response:
    """``POST /_emu/config``: partial update (webhook, secrets, retries, limits, windows)."""
    state = _state(request)
    body = await _body(request)
    known = set(_STRINGS) | set(_NUMBERS) | {"webhook_url", "retry_schedule_s", "limits"}
    unknown = set(body) - known
    if unknown:
        raise ControlError(f"unknown config fields: {', '.join(sorted(unknown))}")
    changes: dict[str, Any] = {}
    for name in _STRINGS:
        if name in body:
            value = _str(body, name, required=True)
            changes[name] = value
    if "webhook_url" in body:
        url = _str(body, "webhook_url")
        if url is not None and not url.startswith(("http://", "https://")):
            raise ControlError("webhook_url must be an http(s) URL or null")
        if url is not None and url != state.config.webhook_url:
            # Zalo checks a new URL before saving it (webhook.check_url): refused unless 200.
            status = await check_url(url, state.config.webhook_timeout_s)
            state.url_checks.append({"url": url, "status": status})
            if status != 200:
                raise ControlError(f"Zalo did not save the webhook URL: the check POST was "
                                   f"answered {status}, not 200")
        changes["webhook_url"] = url
    if "limits" in body:
        changes["limits"] = _bool(body, "limits", True)
    if "retry_schedule_s" in body:
        schedule = body["retry_schedule_s"]
        if not isinstance(schedule, list) or not all(
                isinstance(x, int | float) and not isinstance(x, bool) and x >= 0
                for x in schedule):
            raise ControlError("retry_schedule_s must be a list of seconds >= 0")
        changes["retry_schedule_s"] = tuple(float(x) for x in schedule)
    for name, (kind, minimum) in _NUMBERS.items():
        if name not in body:
            continue
        value = body[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise ControlError(f"{name} must be a number >= {minimum}")
        changes[name] = kind(value)
    for name, value in changes.items():
        setattr(state.config, name, value)
    state.apply_config()
    return web.json_response(_config_dict(state))


async def reset(request: web.Request) -> web.Response:
    """``POST /_emu/reset``."""
    _state(request).reset()
    return web.json_response({"ok": True})


async def clock(request: web.Request) -> web.Response:
    """``POST /_emu/clock`` {advance_s}: move the emulator's time forward."""
    state = _state(request)
    body = await _body(request)
    advance = body.get("advance_s", 0)
    if isinstance(advance, bool) or not isinstance(advance, int | float) or advance < 0:
        raise ControlError("advance_s must be a number of seconds >= 0")
    state.advance(float(advance))
    return web.json_response({"now_ms": state.now_ms(), "offset_s": state.offset_s})


async def issue_tokens(request: web.Request) -> web.Response:
    """``POST /_emu/tokens``: a fresh pair, as an administrator gets after authorising."""
    return web.json_response(_state(request).issue_tokens())


async def token_log(request: web.Request) -> web.Response:
    """``GET /_emu/tokens``: every refresh attempt (``ok`` false when refused)."""
    state = _state(request)
    return web.json_response({"refreshes": state.refreshes,
                              "refused": sum(1 for r in state.refreshes if not r["ok"])})


async def add_fault(request: web.Request) -> web.Response:
    """``POST /_emu/faults`` {path, error? | http_status?, message?, times=1}."""
    state = _state(request)
    body = await _body(request)
    path = _str(body, "path", required=True)
    error, status, times = body.get("error"), body.get("http_status"), body.get("times", 1)
    if (error is None) == (status is None):
        raise ControlError("give exactly one of error and http_status")
    for name, value in (("error", error), ("http_status", status), ("times", times)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ControlError(f"{name} must be an integer")
    if times < 1:
        raise ControlError("times must be >= 1")
    assert path is not None
    state.faults.append(Fault(path=path, error=error, http_status=status,
                              message=_str(body, "message") or "Injected fault", times=times))
    return web.json_response({"faults": len(state.faults)})


async def file_bytes(request: web.Request) -> web.Response:
    """``GET /_emu/files/{id}``: raw bytes (this is the ``payload.url`` of user media)."""
    stored = _state(request).files.get(request.match_info["file_id"])
    if stored is None:
        raise ControlError("unknown file", status=404)
    return web.Response(body=stored.data, content_type=stored.mime)


def add_control_routes(app: web.Application) -> None:
    """Mount every ``/_emu/`` route on ``app``."""
    r = app.router
    r.add_post("/_emu/users", create_user)
    r.add_post("/_emu/users/{user_id}/follow", follow)
    r.add_post("/_emu/users/{user_id}/unfollow", unfollow)
    r.add_get("/_emu/users/{user_id}/messages", user_messages)
    r.add_post("/_emu/groups", create_group)
    r.add_post("/_emu/groups/{group_id}/disperse", disperse_group)
    r.add_post("/_emu/groups/{group_id}/join", join_group)
    r.add_post("/_emu/groups/{group_id}/leave", leave_group)
    r.add_get("/_emu/groups/{group_id}/messages", group_messages)
    r.add_post("/_emu/send", send)
    r.add_get("/_emu/calls", calls)
    r.add_get("/_emu/webhooks", webhooks)
    r.add_get("/_emu/config", get_config)
    r.add_post("/_emu/config", set_config)
    r.add_post("/_emu/reset", reset)
    r.add_post("/_emu/clock", clock)
    r.add_post("/_emu/tokens", issue_tokens)
    r.add_get("/_emu/tokens", token_log)
    r.add_post("/_emu/faults", add_fault)
    r.add_get("/_emu/files/{file_id}", file_bytes)
