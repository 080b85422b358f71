"""Keeping a short-lived Redis lock held through long work.

One thread per process (per lock lifetime: in practice one) renews every lock kept: a
thread started and joined for every chat taken was a cost of every send (bench/FINDINGS.md,
session 9), and a process holds many chats at once (its lanes, its chats' threads)."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class LockKeeper:
    """Renews a held Redis lock every third of its lifetime until stopped, so a lock can be
    short-lived (freed soon after its holder dies) yet held through a long send."""

    def __init__(self, renew: Callable[[], bool], lifetime_s: float, name: str) -> None:
        self.renew = renew  # extends the lock by its lifetime; False when no longer ours
        self.lifetime_s = lifetime_s
        self.name = name

    def start(self) -> LockKeeper:
        _renewer(self.lifetime_s).keep(self)
        return self

    def stop(self) -> None:
        """No renewal starts after this returns (one under way may still end)."""
        _renewer(self.lifetime_s).drop(self)


class _Renewer:
    """The thread that renews every kept lock of one lifetime, each a third of its
    lifetime after it was taken or last renewed (looked at every sixth: renewed at the
    latest half-way through its life)."""

    def __init__(self, lifetime_s: float) -> None:
        self.interval = lifetime_s / 3
        self._due: dict[LockKeeper, float] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"lock-keeper {lifetime_s:g}s",
                                        daemon=True)
        self._thread.start()

    def keep(self, keeper: LockKeeper) -> None:
        with self._lock:
            self._due[keeper] = time.monotonic() + self.interval

    def drop(self, keeper: LockKeeper) -> None:
        with self._lock:
            self._due.pop(keeper, None)

    def kept(self, keeper: LockKeeper) -> bool:
        with self._lock:
            return keeper in self._due

    def _run(self) -> None:
        while True:
            time.sleep(self.interval / 2)
            now = time.monotonic()
            with self._lock:
                due = [keeper for keeper, at in self._due.items() if at <= now]
            for keeper in due:
                self._renew(keeper, now)

    def _renew(self, keeper: LockKeeper, now: float) -> None:
        try:
            renewed = keeper.renew()
        except RedisError as exc:
            if self.kept(keeper):
                log.warning("could not renew the chat lock for %s: %s", keeper.name, exc)
            self.drop(keeper)
            return
        if not renewed:
            if self.kept(keeper):  # (a lock let go meanwhile is not ours, rightly)
                log.warning("could not renew the chat lock for %s: it is not ours any more",
                            keeper.name)
            self.drop(keeper)
            return
        with self._lock:
            if keeper in self._due:
                self._due[keeper] = now + self.interval


# Keyed by process too: a forked child has none of its parent's threads.
_renewers: dict[tuple[int, float], _Renewer] = {}
_renewers_lock = threading.Lock()


def _renewer(lifetime_s: float) -> _Renewer:
    key = (os.getpid(), lifetime_s)
    with _renewers_lock:
        renewer = _renewers.get(key)
        if renewer is None:
            renewer = _renewers[key] = _Renewer(lifetime_s)
        return renewer
