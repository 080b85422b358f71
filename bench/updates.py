"""A realistic mix of Telegram updates for the ingest benchmark.

Residents each go through a whole report — /start, a category button, a location pin, a
description, a photo for one in three, "skip"/"done", "submit" — interleaved with other
residents so that one chat's updates are far apart in the stream (the server keeps a chat's
updates in order; a load generator with many connections would otherwise reorder them).
Officers chat in bound groups now and then, and 2 % of the updates are Telegram's retries
of an update already sent (the same ``update_id``).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from typing import Any

from bench.services import BOT_ID

INTERLEAVE = 400  # residents in flight at once: a chat's next update comes ~400 later
CATEGORIES = ("fire", "traffic", "security", "other")
DESCRIPTIONS = (
    "Cháy nhà trong hẻm, khói đen bốc cao",
    "Tai nạn giữa xe máy và ô tô, một người bị thương",
    "Có nhóm thanh niên tụ tập gây rối, mang theo hung khí",
    "Cây đổ chắn ngang đường sau mưa lớn",
)


def _user(uid: int) -> dict[str, Any]:
    return {"id": uid, "is_bot": False, "first_name": f"Dân {uid % 1000}", "language_code": "vi"}


def _private(uid: int) -> dict[str, Any]:
    return {"id": uid, "type": "private", "first_name": f"Dân {uid % 1000}"}


class UpdateMaker:
    """Builds Update JSON with unique ids from ``first_update_id`` on."""

    def __init__(self, first_update_id: int, date: int) -> None:
        self.next_id = first_update_id
        self.date = date
        self.message_id = 1000

    def _ids(self) -> tuple[int, int]:
        self.next_id += 1
        self.message_id += 1
        return self.next_id, self.message_id

    def message(self, uid: int, chat: dict[str, Any] | None = None,
                **content: Any) -> dict[str, Any]:
        update_id, message_id = self._ids()
        return {"update_id": update_id, "message": {
            "message_id": message_id, "date": self.date, "chat": chat or _private(uid),
            "from": _user(uid), **content}}

    def command(self, uid: int, name: str) -> dict[str, Any]:
        return self.message(uid, text=f"/{name}",
                            entities=[{"type": "bot_command", "offset": 0,
                                       "length": len(name) + 1}])

    def press(self, uid: int, data: str) -> dict[str, Any]:
        update_id, message_id = self._ids()
        return {"update_id": update_id, "callback_query": {
            "id": f"{update_id}77", "from": _user(uid), "chat_instance": f"-{uid}", "data": data,
            "message": {"message_id": message_id - 1, "date": self.date, "chat": _private(uid),
                        "from": {"id": BOT_ID, "is_bot": True, "first_name": "SOS ANTT"},
                        "text": "…"}}}

    def photo(self, uid: int) -> dict[str, Any]:
        unique = f"AQAD{uid}{self.next_id}"
        return self.message(uid, photo=[
            {"file_id": f"small-{unique}", "file_unique_id": f"s{unique}", "width": 90,
             "height": 67, "file_size": 1400},
            {"file_id": f"large-{unique}", "file_unique_id": f"l{unique}", "width": 1280,
             "height": 960, "file_size": 98000}])


def conversation(maker: UpdateMaker, uid: int, point: tuple[float, float],
                 rng: random.Random) -> list[dict[str, Any]]:
    """One resident's report, update by update."""
    category = rng.choice(CATEGORIES)
    steps = [maker.command(uid, "start"), maker.press(uid, f"cat:{category}"),
             maker.message(uid, location={"latitude": point[0], "longitude": point[1],
                                          "horizontal_accuracy": rng.choice((8, 15, 35))}),
             maker.message(uid, text=f"{rng.choice(DESCRIPTIONS)} (người báo {uid})")]
    if uid % 3 == 0:
        steps += [maker.photo(uid), maker.press(uid, "done")]
    else:
        steps.append(maker.press(uid, "skip"))
    steps.append(maker.press(uid, "submit"))
    return steps


def stream(count: int, points: Sequence[tuple[float, float]], *, first_update_id: int,
           first_user: int, date: int, group_chats: Sequence[int] = (),
           seed: int = 2025) -> list[bytes]:
    """``count`` update bodies, in the order a load generator should send them."""
    rng = random.Random(seed)
    maker = UpdateMaker(first_update_id, date)
    bodies: list[bytes] = []
    sent: list[bytes] = []
    next_user = first_user
    while len(bodies) < count:
        block = [conversation(maker, uid, rng.choice(points), rng)
                 for uid in range(next_user, next_user + INTERLEAVE)]
        next_user += INTERLEAVE
        for updates in _interleaved(block):
            if group_chats and rng.random() < 0.03:
                officer = 9_000_000 + rng.randrange(500)
                chat = {"id": rng.choice(group_chats), "type": "supergroup",
                        "title": "CA phường"}
                bodies.append(_encode(maker.message(officer, chat=chat,
                                                    text="Đã nhận, đang xuống hiện trường")))
            body = _encode(updates)
            if sent and rng.random() < 0.02:
                bodies.append(rng.choice(sent[-200:]))  # a retry of a recent update
            bodies.append(body)
            sent.append(body)
    return bodies[:count]


def _interleaved(block: list[list[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    longest = max(len(steps) for steps in block)
    for index in range(longest):
        for steps in block:
            if index < len(steps):
                yield steps[index]


def _encode(update: dict[str, Any]) -> bytes:
    return json.dumps(update, ensure_ascii=False).encode()
