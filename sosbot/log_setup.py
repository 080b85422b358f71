"""Logging for every sosbot process: the level, the format, and no secret in any line.

Whoever reads the logs must not be able to take over the bot. Before this, httpx logged
every Bot API call at INFO with the bot token in the URL (``…/bot<token>/sendMessage``).
Now:

- HTTP calls to the platforms (``sosbot.http.*``; httpx and httpcore) are quiet (WARNING)
  unless ``SOSBOT_LOG_HTTP=1`` asks for them;
- every record is redacted where it is made (a log-record factory), whichever logger made it
  and whichever handler writes it (rq and aiohttp add their own): the message with its
  arguments filled in, and the traceback text, go through ``core.redaction``, which masks
  the secrets read from the environment here, the ones registered while running (Zalo's
  rotated tokens), and anything shaped like a platform token;
- the handler's formatter redacts its finished line once more (a record made some other
  way, a formatter that adds text);
- uncaught exceptions (main thread and other threads) are logged through the same path
  instead of printed raw by the interpreter.

``SOSBOT_LOG_FORMAT=json`` writes one JSON object per line (``time``, ``level``,
``logger``, ``message``, ``request_id`` when set, ``exc`` when there is a traceback) for
log shippers. The request id is set per webhook request (``webhooks.py``) and per job.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import IO, Any
from urllib.parse import urlsplit

from sosbot.core import pseudonyms, redaction

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Secrets that come from the environment (config.load_settings reads the same names).
SECRET_VARIABLES = (
    "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "SOSBOT_CALLBACK_SECRET",
    "ZALO_APP_SECRET", "ZALO_OA_SECRET_KEY", "ZALO_REFRESH_TOKEN",
    "MESSENGER_APP_SECRET", "MESSENGER_VERIFY_TOKEN", "MESSENGER_PAGE_TOKEN",
    "SOSBOT_API_TOKEN", "SOSBOT_API_PII_TOKEN",
)
URL_VARIABLES = ("DATABASE_URL", "REDIS_URL")  # their passwords
# Libraries that log each HTTP call with its URL (the Bot API's holds the token).
HTTP_LOGGERS = ("httpx", "httpcore", "sosbot.http")

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "sosbot_request_id", default=None)

_base_factory = logging.getLogRecordFactory()
_installed_handler: logging.Handler | None = None
_level_before: int | None = None


def configure(level: str = "INFO", *, log_format: str | None = None,
              env: Mapping[str, str] | None = None, stream: IO[str] | None = None) -> None:
    """Set up the root logger of this process (replaces what an earlier call installed)."""
    global _installed_handler, _level_before
    env = os.environ if env is None else env
    remember_secrets(env)
    pseudonyms.use_key(env.get("SOSBOT_CALLBACK_SECRET", ""))
    logging.setLogRecordFactory(_redacted_record)
    chosen = (log_format or env.get("SOSBOT_LOG_FORMAT") or "text").lower()
    if chosen not in ("text", "json"):
        raise ValueError(f"SOSBOT_LOG_FORMAT must be text or json, not {chosen!r}")
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonLines() if chosen == "json" else RedactingFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    if _installed_handler is not None:
        root.removeHandler(_installed_handler)
    else:
        _level_before = root.level
    root.addHandler(handler)
    _installed_handler = handler
    root.setLevel(level.upper())
    http_level = level.upper() if env.get("SOSBOT_LOG_HTTP") == "1" else "WARNING"
    for name in HTTP_LOGGERS:
        logging.getLogger(name).setLevel(http_level)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    # A library's warnings.warn (rq's, say) becomes a record like any other: in the chosen
    # format (one JSON object a line), redacted, not a bare line on stderr.
    logging.captureWarnings(True)


def unconfigure() -> None:
    """Undo :func:`configure` (tests, which share one process with pytest's logging)."""
    global _installed_handler, _level_before
    if _installed_handler is not None:
        logging.getLogger().removeHandler(_installed_handler)
        _installed_handler = None
    if _level_before is not None:
        logging.getLogger().setLevel(_level_before)
        _level_before = None
    logging.setLogRecordFactory(_base_factory)
    for name in HTTP_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    sys.excepthook = sys.__excepthook__
    threading.excepthook = threading.__excepthook__
    logging.captureWarnings(False)
    redaction.forget_all()


def remember_secrets(env: Mapping[str, str]) -> None:
    """Register the environment's secrets (and URL passwords) with the redaction."""
    redaction.remember(*(env.get(name) for name in SECRET_VARIABLES))
    for name in URL_VARIABLES:
        try:
            password = urlsplit(env.get(name) or "").password
        except ValueError:  # a malformed URL: config validation reports it
            continue
        redaction.remember(password)


@contextmanager
def request_id(value: str) -> Iterator[None]:
    """Log records made inside carry ``request_id=value`` (JSON lines show it)."""
    token = REQUEST_ID.set(value)
    try:
        yield
    finally:
        REQUEST_ID.reset(token)


def _redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    redact_record(record)
    record.request_id = REQUEST_ID.get()
    return record


def redact_record(record: logging.LogRecord) -> None:
    """Fill in the message and the traceback text, both redacted, on the record itself:
    every handler and formatter downstream sees only the redacted text."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string must not break the caller; show what came
        message = f"{record.msg!r} (arguments that do not fit: {record.args!r})"
    record.msg, record.args = redaction.redact(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = redaction.redact(_TRACEBACKS.formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redaction.redact(record.stack_info)


_TRACEBACKS = logging.Formatter()


class RedactingFormatter(logging.Formatter):
    """A formatter whose finished line has every secret masked."""

    def format(self, record: logging.LogRecord) -> str:
        return redaction.redact(super().format(record))

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's name)
        return redaction.redact(super().formatException(ei))


class JsonLines(RedactingFormatter):
    """One JSON object per line, each field redacted before encoding (masking the encoded
    line could cut a JSON escape in half)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redaction.redact(record.getMessage()),
        }
        request = getattr(record, "request_id", None)
        if request:
            entry["request_id"] = request
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = redaction.redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redaction.redact(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def _log_uncaught(kind: type[BaseException], value: BaseException,
                  traceback: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, traceback)
        return
    logging.getLogger("sosbot").critical("uncaught exception",
                                         exc_info=(kind, value, traceback))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    name = args.thread.name if args.thread is not None else "?"
    logging.getLogger("sosbot").critical("uncaught exception in thread %s", name,
                                         exc_info=args.exc_value)
