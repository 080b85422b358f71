"""The real webhook app on loopback, with each platform's signing, for the bad-input and
forged-request tests: fresh, correctly signed bodies, and counts of every stored row."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from redis import Redis
from sqlalchemy.engine import Engine

from sosbot.bots.messenger import security as messenger_security
from sosbot.bots.telegram import security as telegram_security
from sosbot.bots.zalo import security as zalo_security
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.delivery.queueing import Dispatcher
from sosbot.webhooks import WRITER, WebDeps, create_app
from tests.conftest import routing_rules

TELEGRAM_SECRET = "telegram-secret-token-0123456789"
ZALO_OA_SECRET = "zalo-oa-secret-key"
MESSENGER_APP_SECRET = "meta-app-secret-0123"
MESSENGER_VERIFY = "verify-me"
REPLAY_WINDOW_S = 3600
MAX_BODY = 1024 * 1024
BOTS = Path(telegram_security.__file__).resolve().parents[1]
STORED_TABLES = ("inbound_event", "conversation", "reporter", "report", "media", "outbox",
                 "delivery", "ack", "binding", "audit_log")
_ids = itertools.count(int(time.time()))


async def make_client(aiohttp_client: Any, engine: Engine, redis: Redis, queue_name: str,
                      conversation: ConversationSettings) -> TestClient:
    deps = WebDeps(engine=engine, redis=redis, dispatcher=Dispatcher(redis, queue_name),
                   conversation=conversation, telegram_secret=TELEGRAM_SECRET,
                   rules=routing_rules(),
                   zalo_oa_secret=ZALO_OA_SECRET, messenger_app_secret=MESSENGER_APP_SECRET,
                   messenger_verify_token=MESSENGER_VERIFY, zalo_replay_window_s=REPLAY_WINDOW_S,
                   messenger_replay_window_s=REPLAY_WINDOW_S,
                   max_body_bytes=MAX_BODY)
    return await aiohttp_client(create_app(deps))


def stored_rows(engine: Engine) -> dict[str, int]:
    """How many rows each table that a delivery can write holds."""
    with engine.connect() as conn:
        return {table: int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
                for table in STORED_TABLES}


def fixture(platform: str, name: str) -> Any:
    return json.loads((BOTS / platform / "fixtures" / f"{name}.json").read_text("utf-8"))


def now_ms(age_s: float = 0) -> int:
    return int((time.time() - age_s) * 1000)


# -- fresh, valid payloads (unique ids, current timestamps) ------------------------------

def telegram_text(text: str = "Có người đánh nhau trước chợ Bến Thành") -> dict[str, Any]:
    data = fixture("telegram", "text")
    data["update_id"] = next(_ids)
    data["message"]["message_id"] = next(_ids)
    data["message"]["text"] = text
    return data


def zalo_text(text: str = "Có cháy ở hẻm 12", age_s: float = 0) -> dict[str, Any]:
    data = fixture("zalo", "user_send_text")
    data["message"]["text"] = text
    data["message"]["msg_id"] = f"msg{next(_ids)}"
    data["timestamp"] = str(now_ms(age_s))
    return data


def messenger_text(text: str = "Có tai nạn giao thông", age_s: float = 0) -> dict[str, Any]:
    data = fixture("messenger", "text")
    stamp = now_ms(age_s)
    for entry in data["entry"]:
        entry["time"] = stamp
        for item in entry["messaging"]:
            item["timestamp"] = stamp
            item["message"]["mid"] = f"m_{next(_ids)}"
            item["message"]["text"] = text
    return data


# -- signing -------------------------------------------------------------------------------

def _zalo_signed_fields(body: bytes) -> tuple[str, str]:
    """``app_id`` and ``timestamp`` as the verifier reads them; empty when it cannot."""
    try:
        data = json.loads(body)
    except ValueError:
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    return str(data.get("app_id", "")), str(data.get("timestamp", ""))


def telegram_headers(body: bytes) -> dict[str, str]:
    return {telegram_security.HEADER: TELEGRAM_SECRET}


def zalo_headers(body: bytes) -> dict[str, str]:
    app_id, timestamp = _zalo_signed_fields(body)
    mac = zalo_security.expected_mac(app_id, body, timestamp, ZALO_OA_SECRET)
    return {zalo_security.HEADER: f"mac={mac}"}


def messenger_headers(body: bytes) -> dict[str, str]:
    return {messenger_security.SIGNATURE_HEADER:
            messenger_security.sign(body, MESSENGER_APP_SECRET)}


@dataclass(frozen=True)
class Webhook:
    platform: str
    path: str
    sign: Callable[[bytes], dict[str, str]]
    good: Callable[[], dict[str, Any]]


WEBHOOKS = {
    "telegram": Webhook("telegram", "/webhooks/telegram", telegram_headers, telegram_text),
    "zalo": Webhook("zalo", "/webhooks/zalo", zalo_headers, zalo_text),
    "messenger": Webhook("messenger", "/webhooks/messenger", messenger_headers,
                         messenger_text),
}


def encode(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


async def post(client: TestClient, hook: Webhook, body: bytes,
               headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """POST ``body`` signed as the platform would (unless ``headers`` are given); returns
    once it is answered and everything the writer was handed is processed (a 200 means
    recorded, processed right after)."""
    sent = {"Content-Type": "application/json",
            **(hook.sign(body) if headers is None else headers)}
    response = await client.post(hook.path, data=body, headers=sent)
    try:
        answer = await response.json()
    except (ValueError, TypeError):
        answer = {"raw": await response.text()}
    await client.app[WRITER].processed()
    return response.status, answer
