"""What the chaos tests share: the real system (``sosbot serve`` and ``sosbot worker``
processes against the Telegram emulator, see tests/e2e/harness.py), residents reporting
fires through the emulator, processes killed and started again, and the checks made at the
end: every report once, every card once, nothing left to send."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa

from sosbot.geo.wards import WardIndex
from sosbot.storage.db import make_engine
from tests.e2e.harness import TOKEN, Process, System

CARD_HEAD = re.compile(r"^(?:\d+\. )?🔥 CHÁY NỔ — (SOS-\d+)", re.MULTILINE)
CODE_TOLD = re.compile(r"Mã tin báo của bạn: (SOS-\d+)")
M_PER_DEG_LAT = 111_320.0
# Default fire near-duplicate radius is 500 m: spots this far apart never merge.
SPOT_SPACING_M = 1_200.0
CENTRE = (10.7769, 106.7009)  # Bến Thành
WEB, WORKER = "web", "worker"
# How long a resident waits for each answer of the bot before the test gives up: long
# enough for a killed worker's chat lock to expire and the sweeper to re-queue its work.
ANSWER_TIMEOUT_S = 180.0
# How long the emulator may take to deliver one update, retries included (test_kill9's
# emulator retries 12 times: the last try ~14 minutes after the first).
DELIVERY_TIMEOUT_S = 20 * 60.0
POLL_S = 0.4


def report_count(default: int) -> int:
    """How many residents report: SOSBOT_CHAOS_REPORTS, or the CI-sized default."""
    return int(os.environ.get("SOSBOT_CHAOS_REPORTS", default))


def env_int(name: str, default: int) -> int:
    """A positive whole number from the environment (a knob of the long runs)."""
    value = int(os.environ.get(name) or default)
    assert value > 0, f"{name} must be more than 0, not {value}"
    return value


def spots(wards: WardIndex, count: int) -> list[tuple[float, float]]:
    """``count`` points inside the city's wards, SPOT_SPACING_M apart on a square lattice
    around the centre (nearest first), so no two fires are near-duplicates.

    Each point is also inside the city outline, the bot's service area: the outline is
    coarser than the wards, and a point inside a ward but outside it (the 211th, at
    10.75534, 106.78869 in Cát Lái) is answered "outside Ho Chi Minh City" — a resident who
    never gets the description prompt, which the N=250 run first took for a lost update."""
    lat0, lon0 = CENTRE
    m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(lat0))
    found: list[tuple[float, float, float]] = []
    side = int(math.sqrt(count * 2)) + 4
    for row in range(-side, side + 1):
        for column in range(-side, side + 1):
            x, y = column * SPOT_SPACING_M, row * SPOT_SPACING_M
            lat, lon = lat0 + y / M_PER_DEG_LAT, lon0 + x / m_per_deg_lon
            match = wards.ward_for(lat, lon)
            if match.ward is not None and match.how == "inside" \
                    and (wards.city is None or wards.city.contains(lat, lon)):
                found.append((math.hypot(x, y), lat, lon))
    found.sort()
    assert len(found) >= count, f"only {len(found)} spots found"
    return [(lat, lon) for _, lat, lon in found[:count]]


@dataclass
class Outcome:
    """What one resident's report came to, as the resident saw it."""

    user_id: int
    code: str | None = None
    statuses: list[int] = field(default_factory=list)
    error: str | None = None


class Chaos:
    """The running system, with its processes found by name and restartable."""

    def __init__(self, system: System, web_port: int) -> None:
        self.system = system
        self.web_port = web_port
        self.kills: Counter[str] = Counter()
        self.incarnations = 0

    def process(self, name: str) -> Process:
        return next(p for p in reversed(self.system.processes) if p.name == name)

    def names(self) -> list[str]:
        return sorted({p.name for p in self.system.processes})

    async def kill9(self, name: str) -> None:
        """SIGKILL the process and its children (rq's scheduler runs in a child process):
        no clean-up, no finally blocks, no flushing, as the OOM killer or a lost machine."""
        process = self.process(name)
        assert process.proc.returncode is None, \
            f"{name} died by itself\n{process.tail()}"
        for child in children(process.proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        os.kill(process.proc.pid, signal.SIGKILL)
        await process.proc.wait()
        self.kills[name.split("-")[0]] += 1

    async def start(self, name: str) -> Process:
        """Start ``name`` again (after it was killed, or died)."""
        old = self.process(name)
        assert old.proc.returncode is not None, f"{name} is still running"
        self.system.processes.remove(old)
        if old.log.exists():  # keep what the dead one wrote: the new one writes afresh
            self.incarnations += 1
            old.log.rename(old.log.with_name(f"{old.log.name}.{self.incarnations}"))
        if name == WEB:
            return await self.system.start(name, "serve", "--port", str(self.web_port))
        return await self.system.start(name, "worker")

    @contextlib.asynccontextmanager
    async def supervised(self) -> AsyncIterator[None]:
        """``supervise`` while the body runs, ended on the way out whatever happens: a
        supervisor left running after a failed check started again the processes the
        fixture's teardown stopped, orphans sharing Redis with the tests after it."""
        stop = asyncio.Event()
        task = asyncio.create_task(self.supervise(stop))
        try:
            yield
        finally:
            stop.set()
            await task

    async def supervise(self, stop: asyncio.Event) -> None:
        """Start again any process that exits, as systemd's ``Restart=always`` would."""
        while not stop.is_set():
            for name in self.names():
                if self.process(name).proc.returncode is not None:
                    await self.start(name)
            await asyncio.sleep(0.5)

    async def healthy(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                async with self.system.http.get(f"{self.system.web_url}/readyz") as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            await asyncio.sleep(0.2)
        raise AssertionError("the web process did not come back\n" + self.system.logs())


def children(pid: int) -> list[int]:
    """The process's children, and theirs (from /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            for child in task.read_text().split():
                found += [int(child), *children(int(child))]
    return found


async def bot_messages(system: System, chat: int) -> list[dict[str, Any]]:
    data = await system.control(f"/_emu/chats/{chat}/messages?token={TOKEN}")
    return [m for m in data["messages"] if m["from"]["is_bot"]]


async def expect(system: System, chat: int, seen: list[int], fragment: str,
                 timeout: float = ANSWER_TIMEOUT_S) -> dict[str, Any]:
    """The first bot message after ``seen[0]`` containing ``fragment``; moves ``seen``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = await bot_messages(system, chat)
        for index, message in enumerate(messages[seen[0]:]):
            if fragment in (message.get("text") or ""):
                seen[0] += index + 1
                return message
        await asyncio.sleep(POLL_S)
    raise AssertionError(f"resident {chat} never got {fragment!r}")


async def delivered(system: System, path: str, body: dict[str, Any]) -> Any:
    """``system.control`` for a resident's update: the emulator answers once the webhook
    took it or it gave up retrying, which may take longer than aiohttp's 5-minute default."""
    timeout = aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT_S)
    async with system.http.post(f"{system.emulator_url}{path}", json=body,
                                timeout=timeout) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def send(system: System, outcome: Outcome, **content: Any) -> None:
    answer = await delivered(system, "/_emu/send", {"token": TOKEN, "from": outcome.user_id,
                                                    **content})
    outcome.statuses += answer["deliveries"]


async def press(system: System, outcome: Outcome, message: dict[str, Any], data: str) -> None:
    answer = await delivered(system, "/_emu/press", {
        "token": TOKEN, "from": outcome.user_id, "chat_id": outcome.user_id,
        "message_id": message["message_id"], "data": data})
    outcome.statuses += answer["deliveries"]


async def report_fire(system: System, user_id: int, spot: tuple[float, float]) -> Outcome:
    """One resident reports a fire at ``spot`` through the whole conversation."""
    outcome = Outcome(user_id)
    seen = [0]
    try:
        await system.control("/_emu/users", {"id": user_id, "first_name": f"Dân {user_id}",
                                              "language_code": "vi"})
        await send(system, outcome, text="/start")
        menu = await expect(system, user_id, seen, "Bạn muốn báo sự việc gì?")
        await press(system, outcome, menu, "cat:fire")
        await expect(system, user_id, seen, "Sự việc xảy ra ở đâu?")
        await send(system, outcome, location={"latitude": spot[0], "longitude": spot[1],
                                              "horizontal_accuracy": 10})
        await expect(system, user_id, seen, "mô tả ngắn gọn")
        await send(system, outcome, text=f"Cháy nhà dân, khói đen bốc cao (tin {user_id})")
        ask = await expect(system, user_id, seen, "gửi ảnh hoặc video")
        await press(system, outcome, ask, "skip")
        summary = await expect(system, user_id, seen, "Vui lòng kiểm tra lại tin báo")
        await press(system, outcome, summary, "submit")
        told = await expect(system, user_id, seen, "Mã tin báo của bạn:")
        found = CODE_TOLD.search(told["text"])
        outcome.code = found.group(1) if found else None
    except AssertionError as exc:
        outcome.error = str(exc)
    return outcome


async def run_residents(system: System, spots_: list[tuple[float, float]], first_user: int,
                        concurrency: int,
                        done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Every resident reports (``concurrency`` at a time); ``done`` is told of each."""
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int, spot: tuple[float, float]) -> Outcome:
        async with gate:
            outcome = await report_fire(system, first_user + index, spot)
        if done is not None:
            done(outcome)
        return outcome

    return list(await asyncio.gather(*(one(i, s) for i, s in enumerate(spots_))))


async def bound_group(system: System, officer: int, title: str, *target: str) -> int:
    """A supergroup with the bot, bound to ``target`` with a one-time binding code."""
    await system.control("/_emu/users", {"id": officer, "first_name": f"Cán bộ {officer}"})
    chat = (await system.control("/_emu/groups", {"title": title, "type": "supergroup",
                                                  "members": [officer]}))["id"]
    await system.control(f"/_emu/groups/{chat}/add_bot", {"token": TOKEN, "by": officer})
    printed = await system.run("bind-code", *target)
    code = printed.split("binding code: ")[1].split()[0]
    await system.control("/_emu/send", {"token": TOKEN, "from": officer, "chat_id": chat,
                                        "text": f"/bind {code}"})
    seen = [0]
    await expect(system, int(chat), seen, "liên kết với", timeout=60)
    return int(chat)


async def settled(database_url: str, timeout: float,
                  while_waiting: Callable[[], Awaitable[None]] | None = None) -> int:
    """Wait until no outbox row is pending; the rows still pending when time ran out."""
    engine = make_engine(database_url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            with engine.connect() as conn:
                pending = int(conn.execute(sa.text(
                    "SELECT count(*) FROM outbox WHERE status = 'pending'")).scalar_one())
            if pending == 0 or time.monotonic() > deadline:
                return pending
            if while_waiting is not None:
                await while_waiting()
            await asyncio.sleep(0.5)
    finally:
        engine.dispose()


def database_facts(database_url: str) -> dict[str, Any]:
    """Reports per resident, deliveries by status, outbox rows by status, half-done rows."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            per_chat = Counter({chat: n for chat, n in conn.execute(sa.text(
                "SELECT chat_id, count(*) FROM report GROUP BY chat_id"))})
            deliveries = Counter({s: n for s, n in conn.execute(sa.text(
                "SELECT status, count(*) FROM delivery GROUP BY status"))})
            rows = Counter({s: n for s, n in conn.execute(sa.text(
                "SELECT status, count(*) FROM outbox GROUP BY status"))})
            codes = {code: chat for code, chat in conn.execute(sa.text(
                "SELECT code, chat_id FROM report"))}
            in_doubt = int(conn.execute(sa.text(
                "SELECT count(*) FROM outbox WHERE status = 'pending' "
                "AND attempt_started_at IS NOT NULL")).scalar_one())
        return {"reports_per_chat": per_chat, "deliveries": deliveries, "outbox": rows,
                "codes": codes, "in_doubt": in_doubt}
    finally:
        engine.dispose()


def cards_by_code(messages: list[dict[str, Any]]) -> Counter[str]:
    """How many times each report's card is in the chat: on a card of its own, or as one
    block of a batch card ("2. 🔥 CHÁY NỔ — SOS-…")."""
    found: Counter[str] = Counter()
    for message in messages:
        text = message.get("text") or ""
        for head in CARD_HEAD.finditer(text):
            found[head.group(1)] += 1
    return found


async def told_codes(system: System, user_id: int) -> list[str]:
    """Every "your report code" message the resident got (should be exactly one)."""
    return [m.group(1) for m in (CODE_TOLD.search(msg.get("text") or "")
                                 for msg in await bot_messages(system, user_id)) if m]


def log_lines(tmp: Path, fragment: str) -> int:
    """How many lines of the processes' logs (every incarnation) contain ``fragment``."""
    total = 0
    for log in tmp.glob("*.log*"):
        total += sum(1 for line in log.read_text(errors="replace").splitlines()
                     if fragment in line)
    return total


def _excerpt(text: str | None, length: int = 48) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= length else text[:length - 1] + "…"


def _kinds(message: dict[str, Any]) -> str:
    """What a message holds besides text (a location, a photo…), e.g. " [location]"."""
    kinds = [k for k in ("location", "photo", "video", "contact", "reply_markup",
                         "edit_date") if message.get(k)]
    return f" [{', '.join(kinds)}]" if kinds else ""


def _outbox_text(payload: Any) -> str:
    """The text of an outbox row's payload (a message's text or caption), if any."""
    if isinstance(payload, dict):
        for key in ("text", "caption"):
            if isinstance(payload.get(key), str):
                return str(payload[key])
        for value in payload.values():
            found = _outbox_text(value)
            if found:
                return found
    return ""


def chat_rows(database_url: str, chat: int) -> dict[str, list[dict[str, Any]]]:
    """What the database holds about one chat: its inbound events, its conversation's
    stage and its outbox rows, oldest first."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            def rows(sql: str) -> list[dict[str, Any]]:
                return [dict(r._mapping) for r in conn.execute(sa.text(sql),
                                                               {"chat": str(chat)})]
            return {
                "inbound": rows("SELECT id, event_id, kind, received_at FROM inbound_event "
                                "WHERE chat_id = :chat ORDER BY id"),
                "conversation": rows("SELECT id, state, has_draft, last_activity_at, "
                                     "updated_at FROM conversation WHERE chat_id = :chat"),
                "outbox": rows("SELECT id, method, status, attempts, attempt_started_at, "
                               "idempotency_key, platform_message_id, created_at, sent_at, "
                               "last_error, payload FROM outbox WHERE chat_id = :chat "
                               "ORDER BY id"),
            }
    finally:
        engine.dispose()


def mentions(tmp: Path, fragments: list[str], limit: int = 60) -> list[str]:
    """The processes' log lines (every incarnation, oldest log first) naming one of
    ``fragments`` as a whole word; at most ``limit``, the last ones kept."""
    if not fragments:
        return []
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(f) for f in fragments)
                         + r")(?![\w-])")
    found: list[str] = []
    for log in sorted(tmp.glob("*.log*"), key=lambda p: p.stat().st_mtime):
        found += [f"{log.name}: {line}" for line in
                  log.read_text(errors="replace").splitlines() if pattern.search(line)]
    return found[-limit:]


async def diagnose(system: System, database_url: str, chat: int) -> str:
    """Everything known about one chat, to print before the test's database is dropped:
    inbound events, conversation stage, outbox rows, the emulator's messages in the chat
    (every sender, in the chat's order) and the log lines naming the chat or its rows."""
    lines = [f"===== chat {chat} ====="]
    try:
        held = chat_rows(database_url, chat)
    except Exception as exc:  # noqa: BLE001 - a diagnostic must not hide the failure
        held = {"inbound": [], "conversation": [], "outbox": []}
        lines.append(f"database: {exc!r}")
    lines.append("inbound_event (id, event id, kind, received_at):")
    lines += [f"  {r['id']} {r['event_id']} {r['kind']} {r['received_at']}"
              for r in held["inbound"]]
    for conv in held["conversation"]:
        state = conv["state"] if isinstance(conv["state"], dict) else {}
        lines.append(f"conversation {conv['id']}: stage {state.get('stage')!r}, "
                     f"has_draft {conv['has_draft']}, last activity "
                     f"{conv['last_activity_at']}, updated {conv['updated_at']}")
    if not held["conversation"]:
        lines.append("conversation: none")
    lines.append("outbox (id method status attempts attempt_started key message_id "
                 "created sent error | text):")
    lines += [f"  {r['id']} {r['method']} {r['status']} {r['attempts']} "
              f"{r['attempt_started_at']} {r['idempotency_key']} {r['platform_message_id']} "
              f"{r['created_at']} {r['sent_at']} {r['last_error']!r} | "
              f"{_excerpt(_outbox_text(r['payload']))}" for r in held["outbox"]]
    try:
        data = await system.control(f"/_emu/chats/{chat}/messages?token={TOKEN}")
        lines.append("emulator messages (in the chat's order):")
        lines += [f"  #{m['message_id']} {'bot' if m['from']['is_bot'] else 'user'} "
                  f"{m.get('date')} {_excerpt(m.get('text') or m.get('caption'))}"
                  f"{_kinds(m)}" for m in data["messages"]]
    except Exception as exc:  # noqa: BLE001
        lines.append(f"emulator: {exc!r}")
    fragments = [str(chat)] + [f"outbox {r['id']}" for r in held["outbox"]]
    lines.append("log lines naming the chat or its outbox rows:")
    lines += [f"  {line}" for line in mentions(system.tmp, fragments)]
    return "\n".join(lines)


def pending_chats(database_url: str) -> list[str]:
    """The chats with outbox rows still pending."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return [c for (c,) in conn.execute(sa.text(
                "SELECT DISTINCT chat_id FROM outbox WHERE status = 'pending'"))]
    finally:
        engine.dispose()
