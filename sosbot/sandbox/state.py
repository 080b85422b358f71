"""The page's picture of the world: every pane's messages and the timeline, built from the
emulators' logs and the database, shared by every open page (rebuilt at most every
``MIN_AGE_S``)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from . import views
from .clock import SimulatedClock
from .emulators import Emulators
from .timeline import timeline
from .world import Pane, World

log = logging.getLogger(__name__)

MIN_AGE_S = 0.3


class Picture:
    """Builds the snapshot the page renders."""

    def __init__(self, world: World, emulators: Emulators, clock: SimulatedClock) -> None:
        self.world = world
        self.emulators = emulators
        self.clock = clock
        self._lock = asyncio.Lock()
        self._built_at = 0.0
        self._last: dict[str, Any] | None = None

    def invalidate(self) -> None:
        self._built_at = 0.0

    async def snapshot(self) -> dict[str, Any]:
        async with self._lock:
            if self._last is not None and time.monotonic() - self._built_at < MIN_AGE_S:
                return self._last
            self._last = await self._build()
            self._built_at = time.monotonic()
            return self._last

    async def _build(self) -> dict[str, Any]:
        await self.world.ensure_residents()
        panes = self.world.panes()
        chats = await asyncio.gather(*(self._chat(p) for p in panes))
        config = self.world.config
        events = await asyncio.to_thread(timeline, config.engine, config.rules)
        for event in events:
            if event["kind"] == "ack":  # Zalo groups give ids, not names: name the officers
                event["who"] = self.world.names.get((event["channel"], event["who"]),
                                                    event["who"])
        return {
            "panes": [{**pane.public(), "messages": messages, "keyboard": keyboard}
                      for pane, (messages, keyboard) in zip(panes, chats, strict=True)],
            "seeded": self.world.seeded,
            "clock": {"offset_s": self.clock.offset_s},
            "timeline": events,
        }

    async def _chat(self, pane: Pane) -> tuple[list[dict[str, Any]], list[Any]]:
        emu = self.emulators
        names = {actor: name for (platform, actor), name in self.world.names.items()
                 if platform == pane.platform}
        if pane.platform == "telegram":
            token = emu.urls.telegram_token
            data = await emu.get("telegram", f"/_emu/chats/{pane.chat_id}/messages"
                                             f"?token={token}")
            messages = views.telegram_messages(data["messages"], pane.actor_id,
                                               emu.telegram_file_url, names)
            keyboard = views.telegram_keyboard(data.get("reply_keyboard"))
            if not messages and pane.kind == "resident":
                keyboard = views.first_contact("/start")  # Telegram's START button
            return messages, keyboard
        if pane.platform == "zalo":
            where = "groups" if pane.kind == "group" else "users"
            data = await emu.get("zalo", f"/_emu/{where}/{pane.chat_id}/messages")
            return views.zalo_messages(data["messages"], pane.actor_id, names), []
        data = await emu.get("messenger", f"/_emu/users/{pane.chat_id}/messages")
        messages = views.messenger_messages(data["messages"], pane.actor_name)
        if not messages:
            return messages, views.first_contact("Xin chào")
        return messages, views.messenger_keyboard(messages)
