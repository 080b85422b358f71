"""Keeping a short-lived Redis lock held through long work."""

from __future__ import annotations

import logging
import threading
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
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lock-keeper {name}",
                                        daemon=True)

    def start(self) -> LockKeeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        interval = self.lifetime_s / 3
        while not self._stop.wait(interval):
            try:
                if not self.renew():
                    log.warning("could not renew the chat lock for %s: it is not ours any "
                                "more", self.name)
                    return
            except RedisError as exc:
                log.warning("could not renew the chat lock for %s: %s", self.name, exc)
                return
