"""A catalogue of bad webhook bodies, per platform, over real HTTP to the real app.

Each body is signed as the platform would sign it, so it reaches the parser (a Zalo body
whose ``app_id``/``timestamp`` cannot be read cannot be verified either: that is 401). The
answer is the one in the table — 400 for what is not the platform's payload, 200 with
"ignored" for what is but concerns nobody, 200 "ok" for odd but genuine content (the
conversation answers it) — never a 500. After every bad body the app still takes a good
one, and a refused body stores nothing at all.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis import Redis
from sqlalchemy.engine import Engine

from sosbot.core.conversation import Settings as ConversationSettings
from tests.security.webapp import (
    MAX_BODY,
    WEBHOOKS,
    encode,
    fixture,
    make_client,
    messenger_text,
    now_ms,
    post,
    stored_rows,
    telegram_text,
    zalo_text,
)


@dataclass(frozen=True)
class Bad:
    category: str
    body: Callable[[], bytes]
    status: int
    description: str | None = None  # "ok", "ignored"; None: not checked (an error text)


def edited(make: Callable[[], dict[str, Any]], change: Callable[[dict[str, Any]], Any]
           ) -> Callable[[], bytes]:
    """A fresh valid payload with ``change`` applied (in place) to it."""
    def body() -> bytes:
        data = make()
        change(data)
        return encode(data)
    return body


def nested(depth: int) -> Any:
    value: Any = "đáy"
    for _ in range(depth):
        value = {"x": [value]}
    return value


def one_mb() -> str:
    """Vietnamese text of 1 000 000 bytes in UTF-8 (the body stays under the 1 MiB limit)."""
    sentence = "Có người lạ đứng trước cổng nhà số 12 rất lâu. "
    size = len(sentence.encode())
    text = sentence * (1_000_000 // size)
    return text + "a" * (1_000_000 - len(text.encode()))


def invalid_utf8(make: Callable[[], dict[str, Any]], marker: str) -> Callable[[], bytes]:
    def body() -> bytes:
        data = make()
        return encode(data).replace(marker.encode(), b"\xff\xfe\xc3(", 1)
    return body


def escaped(make: Callable[[], dict[str, Any]], marker: str, escape: bytes
            ) -> Callable[[], bytes]:
    """The payload with a JSON escape (``\\ud800``, ``\\u0000``) written into its text."""
    def body() -> bytes:
        return encode(make()).replace(marker.encode(), escape, 1)
    return body


def raw(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def truncated(make: Callable[[], dict[str, Any]]) -> Callable[[], bytes]:
    return lambda: encode(make())[:60]


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        holder: Any = data
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = value(holder[path[-1]]) if callable(value) else value
    return change


def _del(*path: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        holder: Any = data
        for key in path[:-1]:
            holder = holder[key]
        del holder[path[-1]]
    return change


# The number class (issue 18): an integer too large for a float (10**400 has 401 digits, under
# Python's digit limit, so JSON reads it), a float literal past the double range (read as
# infinity), and the wrong JSON type where a number belongs.
HUGE_INT = "1" + "0" * 400

# -- Telegram --------------------------------------------------------------------------------

def telegram_location(lat: Any, lon: Any) -> Callable[[], bytes]:
    def body() -> bytes:
        data = telegram_text()
        message = data["message"]
        del message["text"]
        message["location"] = {"latitude": "@LAT@", "longitude": "@LON@"}
        return encode(data).replace(b'"@LAT@"', str(lat).encode()).replace(
            b'"@LON@"', str(lon).encode())
    return body


def telegram_photos(count: int) -> Callable[[], bytes]:
    def change(data: dict[str, Any]) -> None:
        message = data["message"]
        del message["text"]
        message["photo"] = [{"file_id": f"AgAC{i}", "file_unique_id": f"AQAD{i}",
                             "width": 90 + i, "height": 60 + i, "file_size": 1000 + i}
                            for i in range(count)]
    return edited(telegram_text, change)


TELEGRAM = [
    Bad("truncated JSON", truncated(telegram_text), 400),
    Bad("empty body", raw(b""), 400),
    Bad("not an object", raw(b'[{"update_id": 1}]'), 400),
    Bad("wrong type: message is a string", edited(telegram_text, _set(("message",), "chào")),
        400),
    Bad("wrong type: chat is a list", edited(telegram_text, _set(("message", "chat"), [1])),
        400),
    Bad("missing field: update_id", edited(telegram_text, _del("update_id")), 400),
    Bad("missing field: message.chat", edited(telegram_text, _del("message", "chat")), 400),
    Bad("missing field: message.date", edited(telegram_text, _del("message", "date")), 400),
    Bad("huge array: 8000 photo sizes", telegram_photos(8000), 200, "ok"),
    Bad("deep nesting: 200 levels in an extra field",
        edited(telegram_text, _set(("extra",), nested(200))), 400),
    Bad("deep nesting: 100 000 brackets", raw(b"[" * 100_000 + b"]" * 100_000), 400),
    Bad("a lone surrogate escape (made U+FFFD)", escaped(telegram_text, "đánh", b"\\ud800"),
        200, "ok"),
    Bad("NUL escape in the text", escaped(telegram_text, "đánh", b"\\u0000"), 200, "ok"),
    Bad("invalid UTF-8 in the text", invalid_utf8(telegram_text, "đánh"), 400),
    Bad("number as string: update_id", edited(telegram_text, _set(("update_id",), str)), 400),
    Bad("number as string: chat.id",
        edited(telegram_text, _set(("message", "chat", "id"), str)), 400),
    Bad("string as number: text", edited(telegram_text, _set(("message", "text"), 12345)),
        400),
    Bad("integer past the digit limit", raw(b'{"update_id": ' + b"9" * 5000 + b"}"), 400),
    Bad("date past datetime's range",
        edited(telegram_text, _set(("message", "date"), 10**20)), 400),
    Bad("coordinates out of range", telegram_location(95.5, 200.25), 200, "ok"),
    Bad("coordinates: NaN", telegram_location("NaN", 106.7), 400),
    Bad("coordinates: Infinity", telegram_location(10.7, "-Infinity"), 400),
    Bad("coordinates: 1e999", telegram_location("1e999", 106.7), 400),
    Bad("coordinates: huge integer", telegram_location(HUGE_INT, 106.7), 400),
    Bad("coordinates: huge negative integer", telegram_location(10.7, "-" + HUGE_INT), 400),
    Bad("coordinates: true", telegram_location("true", 106.7), 400),
    Bad("coordinates: null", telegram_location(10.7, "null"), 400),
    Bad("coordinates: a list", telegram_location("[10.7]", 106.7), 400),
    Bad("coordinates: an object", telegram_location(10.7, '{"x": 1}'), 400),
    Bad("coordinates: huge integer accuracy", lambda: telegram_location(10.7, 106.7)()
        .replace(b'"longitude"', b'"horizontal_accuracy": ' + HUGE_INT.encode()
                 + b', "longitude"'), 400),
    Bad("number as huge integer in an extra field",
        edited(telegram_text, _set(("message", "extra"), int(HUGE_INT))), 200, "ok"),
    Bad("number as 1e999 in an extra field",
        lambda: encode(telegram_text()).replace(b'"update_id"', b'"x": 1e999, "update_id"'),
        400),
    Bad("1 MB text", edited(telegram_text, _set(("message", "text"), one_mb())),
        200, "ok"),
    Bad("unknown update kind", raw(encode({"update_id": 77, "hologram_call": {
        "id": "1", "user": {"id": 5, "is_bot": False, "first_name": "Lan"}}})), 200, "ignored"),
    Bad("known update kind we do not take", raw(encode({"update_id": 78, "poll": {
        "id": "1", "question": "?", "options": [], "total_voter_count": 0, "is_closed": False,
        "is_anonymous": True, "type": "regular", "allows_multiple_answers": False}})),
        200, "ignored"),
    Bad("unknown message content", edited(telegram_text, lambda d: (
        d["message"].pop("text"), d["message"].update(hologram={"id": 1}))), 200, "ok"),
]

# -- Zalo ------------------------------------------------------------------------------------

def zalo_location(lat: Any, lon: Any) -> Callable[[], bytes]:
    def body() -> bytes:
        data = fixture("zalo", "user_send_location")
        data["timestamp"] = str(now_ms())
        data["message"]["msg_id"] = f"loc{now_ms()}"
        data["message"]["attachments"][0]["payload"]["coordinates"] = {
            "latitude": "@LAT@", "longitude": "@LON@"}
        return encode(data).replace(b'"@LAT@"', str(lat).encode()).replace(
            b'"@LON@"', str(lon).encode())
    return body


def zalo_images(count: int) -> Callable[[], bytes]:
    def body() -> bytes:
        data = fixture("zalo", "user_send_image")
        data["timestamp"] = str(now_ms())
        data["message"]["msg_id"] = f"img{now_ms()}"
        item = data["message"]["attachments"][0]
        data["message"]["attachments"] = [copy.deepcopy(item) for _ in range(count)]
        return encode(data)
    return body


ZALO = [
    # Zalo's MAC covers app_id and timestamp read from the body: unreadable → unverifiable.
    Bad("truncated JSON", truncated(zalo_text), 401),
    Bad("empty body", raw(b""), 401),
    Bad("not an object", raw(b'["user_send_text"]'), 401),
    Bad("wrong type: message is a string", edited(zalo_text, _set(("message",), "chào")), 400),
    Bad("wrong type: sender is a list", edited(zalo_text, _set(("sender",), ["1"])), 400),
    Bad("wrong type: text is an object", edited(zalo_text, _set(("message", "text"), {})),
        400),
    Bad("missing field: event_name", edited(zalo_text, _del("event_name")), 400),
    Bad("missing field: sender", edited(zalo_text, _del("sender")), 400),
    Bad("missing field: timestamp", edited(zalo_text, _del("timestamp")), 401),
    Bad("huge array: 3000 attachments (the first 50 taken)", zalo_images(3000), 200, "ok"),
    Bad("deep nesting: 200 levels in an extra field",
        edited(zalo_text, _set(("extra",), nested(200))), 401),
    Bad("a lone surrogate escape (made U+FFFD)", escaped(zalo_text, "cháy", b"\\ud800"),
        200, "ok"),
    Bad("NUL escape in the text", escaped(zalo_text, "cháy", b"\\u0000"), 200, "ok"),
    Bad("invalid UTF-8 in the text", invalid_utf8(zalo_text, "cháy"), 401),
    Bad("number as number: sender.id", edited(zalo_text, _set(("sender", "id"), int)), 200,
        "ok"),
    Bad("number as number: timestamp", edited(zalo_text, _set(("timestamp",), int)), 200, "ok"),
    Bad("string as number: text", edited(zalo_text, _set(("message", "text"), 113)), 400),
    Bad("timestamp not digits", edited(zalo_text, _set(("timestamp",), "hôm qua")), 400),
    Bad("coordinates as numbers", zalo_location(10.7726, 106.698), 200, "ok"),
    Bad("coordinates out of range", zalo_location('"95.5"', '"-200"'), 200, "ok"),
    Bad("coordinates not numbers", zalo_location('"mười"', '"106.7"'), 400),
    Bad("coordinates: NaN as text", zalo_location('"NaN"', '"106.7"'), 400),
    Bad("coordinates: NaN literal", zalo_location("NaN", "106.7"), 401),
    # Not strict JSON (a number past the double range), so app_id/timestamp cannot be read.
    Bad("coordinates: 1e999", zalo_location("1e999", "106.7"), 401),
    Bad("coordinates: huge integer", zalo_location(HUGE_INT, "106.7"), 400),
    Bad("coordinates: huge negative integer", zalo_location('"10.7"', "-" + HUGE_INT), 400),
    Bad("coordinates: huge integer as text", zalo_location(f'"{HUGE_INT}"', '"106.7"'), 400),
    Bad("coordinates: true", zalo_location("true", '"106.7"'), 400),
    Bad("coordinates: null", zalo_location('"10.7"', "null"), 400),
    Bad("coordinates: a list", zalo_location('["10.7"]', '"106.7"'), 400),
    Bad("coordinates: an object", zalo_location('"10.7"', '{"x": 1}'), 400),
    Bad("coordinates: digits of another script", zalo_location('"١٠"', '"106.7"'), 400),
    Bad("number as huge integer in an extra field",
        edited(zalo_text, _set(("extra",), int(HUGE_INT))), 200, "ok"),
    Bad("1 MB text", edited(zalo_text, _set(("message", "text"), one_mb())), 200, "ok"),
    Bad("unknown event type", edited(zalo_text, _set(("event_name",), "user_send_hologram")),
        200, "ignored"),
]

# -- Messenger -------------------------------------------------------------------------------

def messenger_location(lat: Any, lon: Any) -> Callable[[], bytes]:
    def body() -> bytes:
        data = fixture("messenger", "location_legacy")
        stamp = now_ms()
        data["entry"][0]["time"] = stamp
        item = data["entry"][0]["messaging"][0]
        item["timestamp"] = stamp
        item["message"]["mid"] = f"m_loc{stamp}"
        item["message"]["attachments"][0]["payload"]["coordinates"] = {
            "lat": "@LAT@", "long": "@LON@"}
        return encode(data).replace(b'"@LAT@"', str(lat).encode()).replace(
            b'"@LON@"', str(lon).encode())
    return body


def messenger_receipts(count: int) -> Callable[[], bytes]:
    def change(data: dict[str, Any]) -> None:
        item = data["entry"][0]["messaging"][0]
        data["entry"][0]["messaging"] = [
            {"sender": item["sender"], "recipient": item["recipient"],
             "timestamp": item["timestamp"], "read": {"watermark": item["timestamp"] + i}}
            for i in range(count)]
    return edited(messenger_text, change)


def messenger_images(count: int) -> Callable[[], bytes]:
    def change(data: dict[str, Any]) -> None:
        message = data["entry"][0]["messaging"][0]["message"]
        del message["text"]
        message["attachments"] = [{"type": "image", "payload": {
            "url": f"https://scontent.xx.fbcdn.net/v/t1.15752-9/{i}.jpg"}}
            for i in range(count)]
    return edited(messenger_text, change)


def _messaging(*path: Any) -> tuple[Any, ...]:
    return ("entry", 0, "messaging", 0, *path)


MESSENGER = [
    Bad("truncated JSON", truncated(messenger_text), 400),
    Bad("empty body", raw(b""), 400),
    Bad("not an object", raw(b'[{"object": "page"}]'), 400),
    Bad("wrong type: entry is a string", edited(messenger_text, _set(("entry",), "x")), 400),
    Bad("wrong type: message is a string",
        edited(messenger_text, _set(_messaging("message"), "chào")), 400),
    Bad("wrong type: attachments is an object",
        edited(messenger_text, _set(_messaging("message", "attachments"), {})), 400),
    Bad("missing field: object", edited(messenger_text, _del("object")), 400),
    Bad("missing field: sender", edited(messenger_text, _del(*_messaging("sender"))), 400),
    Bad("huge array: 3000 attachments (the first 50 taken)", messenger_images(3000), 200,
        "ok"),
    Bad("huge batch: 100 read receipts", messenger_receipts(100), 200, "ok"),
    Bad("huge array: 20 000 unknown items in an extra field",
        edited(messenger_text, _set(_messaging("message", "nlp"), list(range(20_000)))),
        200, "ok"),
    Bad("deep nesting: 200 levels in an extra field",
        edited(messenger_text, _set(("extra",), nested(200))), 400),
    Bad("a lone surrogate escape (made U+FFFD)", escaped(messenger_text, "tai", b"\\ud800"),
        200, "ok"),
    Bad("NUL escape in the text", escaped(messenger_text, "tai", b"\\u0000"), 200, "ok"),
    Bad("invalid UTF-8 in the text", invalid_utf8(messenger_text, "tai"), 400),
    Bad("number as string: entry.time",
        edited(messenger_text, _set(("entry", 0, "time"), str)), 200, "ok"),
    Bad("number as string: timestamp", edited(messenger_text, _set(_messaging("timestamp"),
                                                                   "hôm qua")), 400),
    Bad("string as number: text", edited(messenger_text, _set(_messaging("message", "text"),
                                                              113)), 200, "ok"),
    Bad("string as number: sender.id",
        edited(messenger_text, _set(_messaging("sender", "id"), int)), 200, "ok"),
    Bad("integer past the digit limit: entry.time",
        raw(b'{"object": "page", "entry": [{"id": "1", "time": ' + b"9" * 5000 + b"}]}"), 400),
    Bad("coordinates out of range", messenger_location(95.5, -200.5), 200, "ok"),
    Bad("coordinates: NaN", messenger_location("NaN", 106.7), 400),
    Bad("coordinates: 1e999", messenger_location("1e999", 106.7), 400),
    Bad("coordinates: huge integer", messenger_location(HUGE_INT, 106.7), 400),
    Bad("coordinates: huge negative integer", messenger_location(10.7, "-" + HUGE_INT), 400),
    Bad("coordinates: true", messenger_location("true", 106.7), 400),
    Bad("coordinates: null", messenger_location(10.7, "null"), 400),
    Bad("coordinates: a list", messenger_location("[10.7]", 106.7), 400),
    Bad("number as huge integer: entry.time",
        edited(messenger_text, _set(("entry", 0, "time"), int(HUGE_INT))), 200, "ok"),
    Bad("number as huge integer: timestamp",
        edited(messenger_text, _set(_messaging("timestamp"), int(HUGE_INT))), 200, "ok"),
    Bad("number as 1e999: entry.time",
        lambda: encode(messenger_text()).replace(b'"time": ', b'"time": 1e999, "t0": ', 1),
        400),
    Bad("1 MB text", edited(messenger_text, _set(_messaging("message", "text"),
                                                 one_mb())), 200, "ok"),
    Bad("unknown object", edited(messenger_text, _set(("object",), "instagram")), 400),
    Bad("unknown messaging event", edited(messenger_text, lambda d: (
        d["entry"][0]["messaging"][0].pop("message"),
        d["entry"][0]["messaging"][0].update(reaction={"reaction": "love", "mid": "m_1"}))),
        200, "ok"),
]

CATALOGUE = {"telegram": TELEGRAM, "zalo": ZALO, "messenger": MESSENGER}
CATEGORIES = ("truncated JSON", "wrong type", "missing field", "huge array", "deep nesting",
              "invalid UTF-8", "number as", "string as number", "coordinates out of range",
              "NaN", "1 MB text", "unknown")


@pytest.mark.parametrize("platform", sorted(CATALOGUE))
def test_the_catalogue_covers_every_category(platform: str) -> None:
    names = [bad.category for bad in CATALOGUE[platform]]
    missing = [c for c in CATEGORIES if not any(name.startswith(c) or c in name
                                                for name in names)]
    assert missing == []
    assert all(len(bad.body()) <= MAX_BODY for bad in CATALOGUE[platform])


@pytest.fixture
async def client(aiohttp_client: Any, engine: Engine, redis: Redis, queue_name: str,
                 conversation_settings: ConversationSettings) -> TestClient:
    return await make_client(aiohttp_client, engine, redis, queue_name, conversation_settings)


@pytest.mark.parametrize("platform", sorted(CATALOGUE))
async def test_bad_bodies_are_refused_or_ignored_never_a_500(
        platform: str, client: TestClient, engine: Engine,
        caplog: pytest.LogCaptureFixture) -> None:
    hook = WEBHOOKS[platform]
    wrong: list[str] = []
    took: dict[str, float] = {}
    for bad in CATALOGUE[platform]:
        before = stored_rows(engine)
        caplog.clear()
        started = time.perf_counter()
        with caplog.at_level(logging.INFO):
            status, answer = await post(client, hook, bad.body())
        took[bad.category] = round(time.perf_counter() - started, 2)
        outcome = f"{bad.category}: {status} {answer.get('description')!r}"
        if status != bad.status or (bad.description is not None
                                    and answer.get("description") != bad.description):
            wrong.append(f"{outcome}, expected {bad.status} {bad.description!r}")
        if status >= 400:
            if stored_rows(engine) != before:
                wrong.append(f"{outcome}: refused but stored {stored_rows(engine)}")
            if not any(r.levelno >= logging.WARNING and r.name == "sosbot.webhooks"
                       for r in caplog.records):
                wrong.append(f"{outcome}: refused without a warning in the log")
        elif answer.get("description") == "ignored" and stored_rows(engine) != before:
            wrong.append(f"{outcome}: ignored but stored")
        # The app keeps serving: a good delivery right after is taken.
        good, answer = await post(client, hook, encode(hook.good()))
        if (good, answer.get("description")) != (200, "ok"):
            wrong.append(f"{bad.category}: the next good delivery got {good} {answer}")
    print(f"\n{platform}: {len(took)} bad bodies, slowest:",
          sorted(took.items(), key=lambda item: -item[1])[:3])
    assert wrong == []
    health = await client.get("/healthz")
    assert health.status == 200
