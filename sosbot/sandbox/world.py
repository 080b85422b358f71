"""Who the sandbox plays: one resident per platform, and an officer in each bound group.

The residents exist from the first visit. The groups come from the "seed" button: for each
unit in ``DEMO_GROUPS`` the sandbox makes a group chat on the emulator, asks the database
for a one-time binding code (as ``sosbot bind-code`` does) and has the group's officer send
``/bind <code>`` in it, so the bot binds the group exactly as it would in production.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from sosbot.routing.rules import COMMAND, DEPARTMENT, ESCALATION, WARD, RoutingRules
from sosbot.storage import bindings
from sosbot.storage.db import transaction

from .emulators import EmulatorRefused, Emulators, EmulatorUrls

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SandboxConfig:
    """What the sandbox needs from the running system."""

    telegram_url: str
    telegram_token: str
    zalo_url: str
    messenger_url: str
    engine: Engine
    redis_url: str
    queue_name: str
    rules: RoutingRules
    ward_shapes: bytes
    code_ttl: timedelta = timedelta(minutes=15)

    @property
    def urls(self) -> EmulatorUrls:
        return EmulatorUrls(self.telegram_url, self.zalo_url, self.messenger_url,
                            self.telegram_token)


@dataclass(frozen=True)
class DemoGroup:
    """A group chat the seed button creates and binds."""

    platform: str
    kind: str
    target: str
    title: str
    officer: str


DEMO_GROUPS: tuple[DemoGroup, ...] = (
    DemoGroup("telegram", WARD, "27031", "CA phường Tân Phú", "Thiếu tá Nguyễn Văn Hùng"),
    DemoGroup("zalo", WARD, "26704", "CA phường Phú Mỹ", "Đại úy Trần Thị Mai"),
    DemoGroup("telegram", WARD, "26743", "CA phường Bến Thành", "Đại úy Lê Quốc Bảo"),
    DemoGroup("zalo", WARD, "26740", "CA phường Sài Gòn", "Thượng úy Phạm Minh Tâm"),
    DemoGroup("telegram", WARD, "26737", "CA phường Tân Định", "Trung úy Võ Thanh Tùng"),
    DemoGroup("telegram", DEPARTMENT, "PC07", "PC07 – Chữa cháy, cứu nạn", "Thiếu tá Đỗ Văn Lâm"),
    DemoGroup("zalo", DEPARTMENT, "PC08", "PC08 – Cảnh sát giao thông", "Đại úy Hồ Ngọc Anh"),
    DemoGroup("telegram", DEPARTMENT, "PC02", "PC02 – Cảnh sát hình sự", "Thiếu tá Bùi Đức Long"),
    DemoGroup("telegram", COMMAND, COMMAND, "Trung tâm Chỉ huy",
              "Trung tá Ngô Thị Hạnh"),
    DemoGroup("zalo", ESCALATION, ESCALATION, "Ban Giám đốc – trực", "Thượng tá Đặng Văn Sơn"),
)

RESIDENTS = {"telegram": "Lan", "zalo": "Minh", "messenger": "Tuấn"}
TELEGRAM_RESIDENT_ID = 5001


@dataclass
class Pane:
    """A chat shown on the page, and the person the sandbox user plays in it."""

    id: str
    platform: str
    kind: str  # resident | group
    chat_id: str
    actor_id: str
    actor_name: str
    title: str
    unit_vi: str = ""
    unit_en: str = ""
    role: str = ""
    target: str = ""

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "platform": self.platform, "kind": self.kind,
                "title": self.title, "actor": self.actor_name, "unit_vi": self.unit_vi,
                "unit_en": self.unit_en, "role": self.role, "target": self.target}


@dataclass
class World:
    """The panes, made once per sandbox; the seed step adds the group panes."""

    config: SandboxConfig
    emulators: Emulators
    residents: dict[str, Pane] = field(default_factory=dict)
    groups: list[Pane] = field(default_factory=list)
    names: dict[tuple[str, str], str] = field(default_factory=dict)
    _residents_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _seed_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def seeded(self) -> bool:
        return len(self.groups) == len(DEMO_GROUPS)

    def panes(self) -> list[Pane]:
        return [*self.residents.values(), *self.groups]

    def pane(self, pane_id: str) -> Pane | None:
        return next((p for p in self.panes() if p.id == pane_id), None)

    async def ensure_residents(self) -> None:
        async with self._residents_lock:
            if not self.residents:
                self.residents = await self._make_residents()
                for pane in self.residents.values():
                    self.names[(pane.platform, pane.actor_id)] = pane.actor_name

    async def _make_residents(self) -> dict[str, Pane]:
        emu = self.emulators
        residents: dict[str, Pane] = {}
        tg_id = str(TELEGRAM_RESIDENT_ID)
        try:
            await emu.post("telegram", "/_emu/users", {
                "id": TELEGRAM_RESIDENT_ID, "first_name": RESIDENTS["telegram"],
                "language_code": "vi"})
        except EmulatorRefused as exc:
            if "taken" not in exc.detail:  # made by an earlier try that failed further on
                raise
        residents["telegram"] = Pane("telegram", "telegram", "resident", tg_id, tg_id,
                                     RESIDENTS["telegram"], "Telegram")
        # Following the OA: the bot greets the resident with its menu, as on Zalo.
        zalo = await emu.post("zalo", "/_emu/users", {"name": RESIDENTS["zalo"]})
        residents["zalo"] = Pane("zalo", "zalo", "resident", str(zalo["id"]),
                                 str(zalo["id"]), RESIDENTS["zalo"], "Zalo")
        messenger = await emu.post("messenger", "/_emu/users",
                                   {"first_name": RESIDENTS["messenger"], "locale": "vi_VN"})
        psid = str(messenger["psid"])
        residents["messenger"] = Pane("messenger", "messenger", "resident", psid, psid,
                                      RESIDENTS["messenger"], "Messenger")
        return residents

    async def seed(self) -> list[Pane]:
        """Make and bind the demo groups (once; a seed cut short goes on where it
        stopped); the group panes."""
        await self.ensure_residents()
        async with self._seed_lock:
            for group in DEMO_GROUPS[len(self.groups):]:
                self.groups.append(await self._bind(group))
        return self.groups

    async def _bind(self, group: DemoGroup) -> Pane:
        unit = self.config.rules.unit(group.kind, group.target)
        code = await asyncio.to_thread(self._new_code, group.kind, group.target)
        emu = self.emulators
        if group.platform == "telegram":
            token = self.config.telegram_token
            officer = str((await emu.post("telegram", "/_emu/users", {
                "first_name": group.officer, "language_code": "vi"}))["id"])
            chat = str((await emu.post("telegram", "/_emu/groups", {
                "title": group.title, "type": "supergroup", "members": [int(officer)]}))["id"])
            await emu.post("telegram", f"/_emu/groups/{chat}/add_bot",
                           {"token": token, "by": int(officer)})
            await emu.post("telegram", "/_emu/send", {"token": token, "from": int(officer),
                                                      "chat_id": int(chat),
                                                      "text": f"/bind {code}"})
        else:
            officer = str((await emu.post("zalo", "/_emu/users", {
                "name": group.officer, "follow": False}))["id"])
            chat = str((await emu.post("zalo", "/_emu/groups", {
                "name": group.title, "members": [officer]}))["id"])
            await emu.post("zalo", "/_emu/send", {"from": officer, "group_id": chat,
                                                  "text": f"/bind {code}"})
        self.names[(group.platform, officer)] = group.officer
        log.info("sandbox: %s group %s bound to %s %s", group.platform, chat, group.kind,
                 group.target)
        return Pane(f"{group.platform}:{chat}", group.platform, "group", chat, officer,
                    group.officer, group.title, unit.vi, unit.en, group.kind, group.target)

    def _new_code(self, kind: str, target: str) -> str:
        with transaction(self.config.engine) as session:
            return bindings.create_code(session, kind, target, datetime.now(UTC),
                                        self.config.code_ttl)
