"""Keeping a short-lived Redis lock held through long work."""

from __future__ import annotations

import logging
import threading

from redis.exceptions import LockError, RedisError
from redis.lock import Lock

log = logging.getLogger(__name__)


class LockKeeper:
    """Renews a held Redis lock every third of its lifetime until stopped, so a lock can be
    short-lived (freed soon after its holder dies) yet held through a long send."""

    def __init__(self, lock: Lock, name: str) -> None:
        self.lock = lock
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
        if self.lock.timeout is None:
            return  # a lock without a timeout never lapses
        interval = self.lock.timeout / 3
        while not self._stop.wait(interval):
            try:
                self.lock.reacquire()
            except (LockError, RedisError) as exc:
                log.warning("could not renew the chat lock for %s: %s", self.name, exc)
                return
