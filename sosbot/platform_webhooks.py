"""What differs between the platforms' webhooks, as one table the web app runs.

Every webhook goes the same way (``webhooks.platform_webhook``): shed an overload before
anything is read; refuse a request whose headers already fail; read the body within its
time and size; answer a platform's unsigned probe; check the signature over the raw bytes;
parse; refuse a replay; hand the events to intake. Each platform says only how it does the
checks, so a rule added for one is not forgotten for another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sosbot.bots.messenger import inbound as messenger_inbound
from sosbot.bots.messenger import security as messenger_security
from sosbot.bots.telegram import inbound as telegram_inbound
from sosbot.bots.telegram import security as telegram_security
from sosbot.bots.zalo import inbound as zalo_inbound
from sosbot.bots.zalo import security as zalo_security
from sosbot.core.events import PlatformEvent

Headers = Mapping[str, str]


@dataclass(frozen=True)
class Secrets:
    """The web process's webhook secrets and replay windows (from WebDeps)."""

    telegram_secret: str
    zalo_oa_secret: str
    messenger_app_secret: str
    zalo_replay_window_s: float
    messenger_replay_window_s: float


@dataclass(frozen=True)
class Refusal:
    status: int
    metric: str  # the outcome label of sosbot_webhooks_total
    answer: str  # the description in the JSON answer
    log: str  # what the warning line says (the channel and the remote address are added)


FORBIDDEN_SECRET = Refusal(403, "forbidden", "forbidden", "wrong or missing secret token")
BAD_SIGNATURE = Refusal(401, "forbidden", "bad signature", "bad or missing signature")


@dataclass(frozen=True)
class PlatformWebhook:
    """One platform's webhook: its checks, its parser, its replay rule."""

    channel: str
    noun: str  # what a body is called in a 400's answer ("update", "event")
    # Checked on the headers alone, before the body is read (Telegram's secret token).
    check_headers: Callable[[Secrets, Headers], Refusal | None]
    # A platform's unsigned probe answered 200 with nothing stored: the answer, or None.
    probe: Callable[[bytes, Headers], str | None]
    # Checked on the raw bytes as received (signatures), before anything is parsed.
    check_body: Callable[[Secrets, bytes, Headers], Refusal | None]
    parse: Callable[[Any], list[PlatformEvent]]
    # The replay window the delivery is older than (seconds), or None when it is fresh.
    too_old: Callable[[Secrets, Any, bytes, list[PlatformEvent], float], float | None]


def _nothing(*_: Any) -> None:
    return None


def _telegram_headers(secrets: Secrets, headers: Headers) -> Refusal | None:
    header = headers.get(telegram_security.HEADER)
    if telegram_security.secret_matches(header, secrets.telegram_secret):
        return None
    return FORBIDDEN_SECRET


def _zalo_probe(body: bytes, headers: Headers) -> str | None:
    # Zalo saves a newly configured webhook URL only when an unsigned POST of {} is
    # answered 200 (docs/platforms/zalo.md): nothing is stored or processed.
    if zalo_security.is_url_check(body, headers.get(zalo_security.HEADER)):
        return "webhook URL check"
    return None


def _zalo_signature(secrets: Secrets, body: bytes, headers: Headers) -> Refusal | None:
    if zalo_security.signature_ok(body, headers.get(zalo_security.HEADER),
                                  secrets.zalo_oa_secret):
        return None
    return BAD_SIGNATURE


def _zalo_too_old(secrets: Secrets, data: Any, body: bytes, events: list[PlatformEvent],
                  now: float) -> float | None:
    window = secrets.zalo_replay_window_s
    return window if zalo_security.too_old(str(data.get("timestamp", "")), now, window) \
        else None


def _messenger_signature(secrets: Secrets, body: bytes, headers: Headers) -> Refusal | None:
    header = headers.get(messenger_security.SIGNATURE_HEADER)
    if messenger_security.signature_ok(body, header, secrets.messenger_app_secret):
        return None
    return BAD_SIGNATURE


def _messenger_too_old(secrets: Secrets, data: Any, body: bytes,
                       events: list[PlatformEvent], now: float) -> float | None:
    # A body with nothing to take (the dashboard's "Test" ping) is answered 200 whatever
    # its age: replaying it changes nothing.
    window = secrets.messenger_replay_window_s
    if events and messenger_security.too_old(messenger_inbound.batch_time_ms(body), now,
                                             window):
        return window
    return None


TELEGRAM = PlatformWebhook(
    channel="telegram", noun="update", check_headers=_telegram_headers, probe=_nothing,
    check_body=_nothing, parse=telegram_inbound.parse_update, too_old=_nothing)


def telegram_for(username: str) -> PlatformWebhook:
    """Telegram's webhook for the bot ``@username``: a command addressed to another bot in
    a shared group is not acted on (``channels.telegram.username``; empty: all are)."""
    if not username:
        return TELEGRAM
    return replace(TELEGRAM, parse=lambda data: telegram_inbound.for_this_bot(
        telegram_inbound.parse_update(data), username))


ZALO = PlatformWebhook(
    channel="zalo", noun="event", check_headers=_nothing, probe=_zalo_probe,
    check_body=_zalo_signature, parse=zalo_inbound.parse_event, too_old=_zalo_too_old)
MESSENGER = PlatformWebhook(
    channel="messenger", noun="event", check_headers=_nothing, probe=_nothing,
    check_body=_messenger_signature, parse=messenger_inbound.parse_body,
    too_old=_messenger_too_old)
