"""python-telegram-bot's networking backend on aiohttp instead of httpx.

python-telegram-bot sends every call through a ``telegram.request.BaseRequest``; its default
(``HTTPXRequest``) runs httpx over httpcore and anyio, which cost a worker about 0.5 ms of CPU
per call against aiohttp's 0.1 (bench/FINDINGS.md, session 9): at 20 reports a second, each
four or five sends, that was a tenth of a worker's CPU. ``BaseRequest`` is the library's own
extension point for another HTTP client; everything above it — the methods, the parameters,
the answers read into errors (429 as ``RetryAfter``, 403 as ``Forbidden`` …) — is
python-telegram-bot's, unchanged. Requests are the same forms (url-encoded, multipart when a
file goes with them), with the ``User-Agent`` python-telegram-bot sends and the send's
``Idempotency-Key`` (``core.idempotency``).
"""

from __future__ import annotations

import logging
import time

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from sosbot.core import idempotency
from sosbot.core.redaction import redact

# One line per Bot API call (method, status, milliseconds), the token redacted: quiet
# (WARNING) unless SOSBOT_LOG_HTTP=1 (log_setup.HTTP_LOGGERS).
http_log = logging.getLogger("sosbot.http.telegram")


class AiohttpRequest(BaseRequest):
    """One aiohttp session (``connection_pool_size`` connections) for a ``telegram.Bot``;
    created in the event loop that first uses it. aiohttp has no write timeout of its own:
    ``write_timeout`` bounds the whole call, beside the read timeout."""

    def __init__(self, *, connection_pool_size: int = 16, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0) -> None:
        self._pool_size = connection_pool_size
        self._timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts[0]

    async def initialize(self) -> None:
        self._open()

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT})
        return self._session

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: float | None | object = BaseRequest.DEFAULT_NONE,
                         write_timeout: float | None | object = BaseRequest.DEFAULT_NONE,
                         connect_timeout: float | None | object = BaseRequest.DEFAULT_NONE,
                         pool_timeout: float | None | object = BaseRequest.DEFAULT_NONE,
                         ) -> tuple[int, bytes]:
        """See ``BaseRequest.do_request``: the status and the body of the answer."""
        read, write, connect, pool = (
            default if given is BaseRequest.DEFAULT_NONE else given
            for given, default in zip((read_timeout, write_timeout, connect_timeout,
                                       pool_timeout), self._timeouts, strict=True))
        timeout = aiohttp.ClientTimeout(
            total=_sum(read, write), connect=_sum(connect, pool),
            sock_connect=_seconds(connect), sock_read=_seconds(read))
        began = time.monotonic()
        try:
            async with self._open().request(method, url, data=_body(request_data),
                                            headers=idempotency.headers(),
                                            timeout=timeout) as response:
                body = await response.read()
                if http_log.isEnabledFor(logging.INFO):
                    http_log.info("%s %s → %d (%.0f ms)", method, redact(url),
                                  response.status, (time.monotonic() - began) * 1000)
                return response.status, body
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # Redacted: an error naming the URL would carry the bot's token into the
            # outbox's last_error and the logs.
            raise NetworkError(redact(f"aiohttp.{type(exc).__name__}: {exc}")) from exc


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """The parameters url-encoded, or multipart with the files to upload."""
    if request_data is None:
        return None
    if not request_data.contains_files:
        return request_data.json_parameters
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form


def _seconds(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _sum(*values: object) -> float | None:
    """The sum of timeouts, or None (no bound) when any of them is None."""
    seconds = [_seconds(value) for value in values]
    return None if any(s is None for s in seconds) else sum(s for s in seconds if s)
