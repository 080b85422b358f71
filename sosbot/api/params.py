"""Query-string parsing for the API: every bad value becomes a 400 naming its parameter."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from multidict import MultiMapping

from sosbot.core.model import Category, Channel, ReportStatus

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
WARD_CODE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
REPORT_CODE = re.compile(r"^[A-Za-z0-9-]{1,16}$")
FILTER_NAMES = ("since", "until", "status", "category", "ward", "channel")
PAGE_NAMES = ("limit", "cursor")


class BadParameter(Exception):
    """A query or path parameter the API cannot use; answered with 400."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class Filters:
    """Which reports a list, an export or a statistic covers.

    ``since`` is inclusive and ``until`` exclusive, both on ``created_at``.
    """

    since: datetime | None = None
    until: datetime | None = None
    status: str | None = None
    category: str | None = None
    ward: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class Cursor:
    """The last item of a page: the next page starts strictly after it (newest first)."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        raw = json.dumps([self.created_at.isoformat(), self.id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Read a cursor written by :meth:`encode`; raises BadParameter for anything else."""
        try:
            padded = text + "=" * (-len(text) % 4)
            raw = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
            stamp, ident = raw
            if not isinstance(stamp, str) or type(ident) is not int:
                raise ValueError("wrong types")
            at = datetime.fromisoformat(stamp)
            if at.tzinfo is None:
                raise ValueError("no time zone")
            return cls(created_at=at.astimezone(UTC), id=ident)
        except (ValueError, TypeError, UnicodeError, binascii.Error, OverflowError) as exc:
            raise BadParameter("cursor", "not a cursor this API gave out") from exc


@dataclass(frozen=True)
class Page:
    limit: int = DEFAULT_LIMIT
    cursor: Cursor | None = None


def check_names(query: MultiMapping[str], allowed: Iterable[str]) -> None:
    """Refuse unknown and repeated parameters: a typo must not silently widen a query."""
    allowed = set(allowed)
    for name in query.keys():
        if name not in allowed:
            raise BadParameter(name, "unknown parameter")
        if len(query.getall(name)) > 1:
            raise BadParameter(name, "given more than once")


def parse_time(name: str, value: str) -> datetime:
    """An ISO 8601 timestamp with a time zone, as aware UTC."""
    # A '+' sent unencoded in a query string arrives as a space.
    text = value.strip()
    if len(text) > 40:
        raise BadParameter(name, "not an ISO 8601 timestamp")
    if " " in text and re.fullmatch(r".*T[0-9:.]+ [0-9]{2}(:?[0-9]{2})?", text):
        text = text.replace(" ", "+")
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadParameter(name, "not an ISO 8601 timestamp") from exc
    if at.tzinfo is None or at.utcoffset() is None:
        raise BadParameter(name, "needs a time zone (e.g. 2025-11-22T08:00:00+07:00 or Z)")
    try:
        return at.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise BadParameter(name, "out of range") from exc


def _choice(name: str, value: str, choices: Iterable[str]) -> str:
    options = sorted(choices)
    if value not in options:
        raise BadParameter(name, f"must be one of {', '.join(options)}")
    return value


def parse_filters(query: MultiMapping[str]) -> Filters:
    """The filters of ``/reports`` and the exports."""
    since = parse_time("since", query["since"]) if "since" in query else None
    until = parse_time("until", query["until"]) if "until" in query else None
    if since is not None and until is not None and until < since:
        raise BadParameter("until", "is before since")
    status = query.get("status")
    category = query.get("category")
    channel = query.get("channel")
    ward = query.get("ward")
    if ward is not None and not WARD_CODE.fullmatch(ward):
        raise BadParameter("ward", "not a ward code")
    return Filters(
        since=since, until=until,
        status=_choice("status", status, (s.value for s in ReportStatus)) if status else None,
        category=(_choice("category", category, (c.value for c in Category))
                  if category else None),
        channel=_choice("channel", channel, (c.value for c in Channel)) if channel else None,
        ward=ward,
    )


def parse_page(query: MultiMapping[str]) -> Page:
    """``limit`` (1–500, default 50) and the opaque ``cursor`` of the previous answer."""
    limit = DEFAULT_LIMIT
    if "limit" in query:
        text = query["limit"].strip()
        if not re.fullmatch(r"[0-9]{1,6}", text):
            raise BadParameter("limit", f"must be an integer from 1 to {MAX_LIMIT}")
        limit = int(text)
        if not 1 <= limit <= MAX_LIMIT:
            raise BadParameter("limit", f"must be an integer from 1 to {MAX_LIMIT}")
    cursor = Cursor.decode(query["cursor"]) if query.get("cursor") else None
    return Page(limit=limit, cursor=cursor)
