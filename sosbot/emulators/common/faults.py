"""Random platform faults, shared by the three emulators: a share of API calls fail the way
platforms do fail, so the system's retries can be tested against them.

Each emulator draws a fault per API call (``RandomFaults.draw``) and, for ``"429"`` and
``"500"``, answers in its own platform's shape (Telegram's ``retry_after``, Zalo's ``-32``,
Graph's ``613``); ``"timeout"`` and ``"drop"`` are the same everywhere and live here. Every
fault happens *before* the platform acts, so a faulted call never creates a message: the
other case (the platform acted, then the answer was lost) is the "in doubt" case that the
idempotency key covers (see :mod:`sosbot.emulators.common.idempotency`).

Configured through each emulator's ``POST /_emu/random_faults``::

    {"rate": 0.2, "kinds": ["429", "500", "timeout", "drop"], "hang_s": 3,
     "retry_after_s": 1, "seed": 7, "chats": []}

``GET /_emu/random_faults`` shows the settings and how many faults of each kind were drawn.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from aiohttp import web

from sosbot.emulators.common.control import ControlError

log = logging.getLogger(__name__)

RATE_LIMITED = "429"
SERVER_ERROR = "500"
TIMEOUT = "timeout"
DROP = "drop"
KINDS = (RATE_LIMITED, SERVER_ERROR, TIMEOUT, DROP)


@dataclass(frozen=True)
class FaultSettings:
    """How often API calls fail, and how."""

    rate: float = 0.0  # the share of API calls that fail, 0 to 1
    kinds: tuple[str, ...] = KINDS  # drawn with equal weight
    hang_s: float = 20.0  # "timeout": no answer for this long, then the connection closes
    retry_after_s: int = 1  # the wait a "429" asks for, where the platform says one
    seed: int | None = None
    # Only calls to these chats fail (empty: every call may); where the emulator knows the
    # chat before acting (Telegram's ``chat_id``).
    chats: tuple[str, ...] = ()

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> FaultSettings:
        """Settings from a control request; a bad field is a ``ControlError`` naming it."""
        unknown = set(body) - {"rate", "kinds", "hang_s", "retry_after_s", "seed", "chats"}
        if unknown:
            raise ControlError(f"unknown field(s): {', '.join(sorted(unknown))}")
        rate = body.get("rate", 0.0)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise ControlError("rate must be a number from 0 to 1")
        kinds = body.get("kinds", list(KINDS))
        if not isinstance(kinds, list) or not kinds or any(k not in KINDS for k in kinds):
            raise ControlError(f"kinds must be a non-empty list of {', '.join(KINDS)}")
        hang_s = body.get("hang_s", cls.hang_s)
        if isinstance(hang_s, bool) or not isinstance(hang_s, int | float) \
                or not 0 <= hang_s <= 600:
            raise ControlError("hang_s must be a number of seconds from 0 to 600")
        retry_after = body.get("retry_after_s", cls.retry_after_s)
        if isinstance(retry_after, bool) or not isinstance(retry_after, int) \
                or not 1 <= retry_after <= 3600:
            raise ControlError("retry_after_s must be a whole number of seconds, 1 to 3600")
        seed = body.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ControlError("seed must be an integer")
        chats = body.get("chats", [])
        if not isinstance(chats, list) or any(
                isinstance(c, bool) or not isinstance(c, str | int) for c in chats):
            raise ControlError("chats must be a list of chat ids")
        return cls(rate=float(rate), kinds=tuple(kinds), hang_s=float(hang_s),
                   retry_after_s=retry_after, seed=seed, chats=tuple(str(c) for c in chats))


class RandomFaults:
    """Draws the fault (or none) for each API call, with a seeded RNG, and counts them."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self.configure(settings or FaultSettings())

    def configure(self, settings: FaultSettings) -> None:
        """Replace the settings; the RNG is re-seeded and the counts start again."""
        self.settings = settings
        self._rng = random.Random(settings.seed)
        self.counts: Counter[str] = Counter()
        self.calls = 0

    def draw(self, chat: str | None = None) -> str | None:
        """The fault for this call (to ``chat``, when known): one of ``KINDS``, or None."""
        self.calls += 1
        if self.settings.chats and chat not in self.settings.chats:
            return None
        if self.settings.rate <= 0 or self._rng.random() >= self.settings.rate:
            return None
        kind = self._rng.choice(self.settings.kinds)
        self.counts[kind] += 1
        return kind

    def snapshot(self) -> dict[str, Any]:
        """The settings, the calls seen and the faults drawn, for ``GET /_emu/random_faults``."""
        settings = asdict(self.settings)
        settings["kinds"] = list(self.settings.kinds)
        settings["chats"] = list(self.settings.chats)
        return {**settings, "calls": self.calls, "faults": dict(self.counts)}


def drop_connection(request: web.Request) -> web.Response:
    """Close the connection without an answer (the client sees it dropped)."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    # Never written: the connection is gone. aiohttp needs a response object all the same.
    return web.Response(status=500)


async def hang_then_drop(request: web.Request, hang_s: float) -> web.Response:
    """Answer nothing for ``hang_s`` seconds, then close the connection: a client with a
    shorter timeout sees a timeout, one with a longer timeout a dropped connection."""
    await asyncio.sleep(hang_s)
    return drop_connection(request)


async def transport_fault(request: web.Request, kind: str,
                          settings: FaultSettings) -> web.Response | None:
    """Carry out a ``"timeout"`` or ``"drop"`` fault; None for the platform-shaped kinds."""
    if kind == TIMEOUT:
        log.info("injected fault on %s: no answer for %.1fs", request.path, settings.hang_s)
        return await hang_then_drop(request, settings.hang_s)
    if kind == DROP:
        log.info("injected fault on %s: connection dropped", request.path)
        return drop_connection(request)
    return None


async def configure_from_request(request: web.Request, faults: RandomFaults) -> web.Response:
    """``POST /_emu/random_faults``: replace the settings; answers the new snapshot."""
    try:
        body = await request.json()
    except ValueError:
        raise ControlError("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    faults.configure(FaultSettings.from_body(body))
    log.info("random faults: %s", faults.snapshot())
    return web.json_response(faults.snapshot())


FAULTS_KEY = web.AppKey("random_faults", RandomFaults)


async def _show(request: web.Request) -> web.Response:
    return web.json_response(request.app[FAULTS_KEY].snapshot())


async def _configure(request: web.Request) -> web.Response:
    return await configure_from_request(request, request.app[FAULTS_KEY])


def install(app: web.Application, settings: FaultSettings | None = None) -> RandomFaults:
    """Give an emulator app its fault drawer and the ``/_emu/random_faults`` routes."""
    faults = RandomFaults(settings)
    app[FAULTS_KEY] = faults
    app.router.add_get("/_emu/random_faults", _show)
    app.router.add_post("/_emu/random_faults", _configure)
    return faults
