"""Read-only queries behind the API; each runs on a worker thread in its own session.

Everything here returns plain JSON-ready dicts. Personal data of the resident (reporter
name, username, platform user id, phone, private chat id) is added only when ``pii`` is
true, under a single ``reporter`` key. Without ``pii`` the resident's own words are left out
too (``description`` and ``address_text`` are null: residents write names, phone numbers
and house numbers in them) and the pin is rounded to ``PLAIN_COORDINATE_DECIMALS`` (3
decimals, about 100 m: the street block, not the house).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from sosbot.api.params import Cursor, Filters, Page
from sosbot.core.model import FINAL_STATUSES, Category, ReportStatus
from sosbot.storage.tables import Ack, AuditLog, Delivery, Media, Report, Reporter

log = logging.getLogger(__name__)

Item = dict[str, Any]

# The columns of one report in lists and exports, in CSV order.
ITEM_FIELDS = (
    "code", "category", "status", "created_at", "updated_at", "lat", "lon", "accuracy_m",
    "ward_code", "ward_name", "location_how", "address_text", "description", "channel",
    "media_count", "duplicates", "duplicate_of", "escalation_level",
)
# Fields the resident typed: with the plain token they are null.
RESIDENT_TEXT_FIELDS = ("address_text", "description")
PLAIN_COORDINATE_DECIMALS = 3  # 0.001° ≈ 111 m of latitude, 109 m of longitude in HCMC
REPORTER_FIELDS = ("display_name", "username", "phone", "platform_user_id", "chat_id")
# Audit detail keys that may carry a resident's personal data.
PII_DETAIL_KEYS = frozenset({"phone", "display_name", "reporter_name", "name", "username",
                             "user_name", "platform_user_id", "reporter", "chat_id",
                             "user_id", "resident", "text", "answer"})


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _report_query(filters: Filters) -> Any:
    """Reports with media count, the code they duplicate and their reporter."""
    original = aliased(Report)
    media_count = (
        select(sa.func.count(col(Media.id)))
        .where(col(Media.report_id) == col(Report.id)).scalar_subquery()
    )
    query = (
        select(Report, media_count, original.code, Reporter)
        .outerjoin(original, col(original.id) == col(Report.duplicate_of_id))
        .outerjoin(Reporter, col(Reporter.id) == col(Report.reporter_id))
    )
    if filters.since is not None:
        query = query.where(col(Report.created_at) >= filters.since)
    if filters.until is not None:
        query = query.where(col(Report.created_at) < filters.until)
    if filters.status is not None:
        query = query.where(col(Report.status) == filters.status)
    if filters.category is not None:
        query = query.where(col(Report.category) == filters.category)
    if filters.ward is not None:
        query = query.where(col(Report.ward_code) == filters.ward)
    if filters.channel is not None:
        query = query.where(col(Report.channel) == filters.channel)
    return query.order_by(col(Report.created_at).desc(), col(Report.id).desc())


def _reporter(report: Report, reporter: Reporter | None) -> Item:
    return {
        "display_name": reporter.display_name if reporter else None,
        "username": reporter.username if reporter else None,
        "phone": report.phone or (reporter.phone if reporter else None),
        "platform_user_id": reporter.platform_user_id if reporter else None,
        "chat_id": report.chat_id,
    }


def _item(row: Sequence[Any], *, pii: bool) -> Item:
    report, media_count, duplicate_of, reporter = row
    item: Item = {
        "code": report.code, "category": report.category, "status": report.status,
        "created_at": _iso(report.created_at), "updated_at": _iso(report.updated_at),
        "lat": report.lat, "lon": report.lon, "accuracy_m": report.accuracy_m,
        "ward_code": report.ward_code, "ward_name": report.ward_name,
        "location_how": report.location_how, "address_text": report.address_text,
        "description": report.description, "channel": report.channel,
        "media_count": int(media_count or 0), "duplicates": report.duplicates,
        "duplicate_of": duplicate_of, "escalation_level": report.escalation_level,
    }
    if pii:
        item["reporter"] = _reporter(report, reporter)
        return item
    for name in RESIDENT_TEXT_FIELDS:
        item[name] = None
    for name in ("lat", "lon"):
        if item[name] is not None:
            item[name] = round(float(item[name]), PLAIN_COORDINATE_DECIMALS)
    return item


def list_reports(engine: Engine, filters: Filters, page: Page, *,
                 pii: bool) -> tuple[list[Item], str | None]:
    """One page of reports, newest first, and the cursor of the next page (or None)."""
    query = _report_query(filters)
    if page.cursor is not None:
        at, ident = page.cursor.created_at, page.cursor.id
        query = query.where(sa.or_(
            col(Report.created_at) < at,
            sa.and_(col(Report.created_at) == at, col(Report.id) < ident)))
    with Session(engine) as session:
        rows = session.execute(query.limit(page.limit + 1)).all()
    more = len(rows) > page.limit
    rows = rows[:page.limit]
    next_cursor = None
    if more:
        last: Report = rows[-1][0]
        assert last.id is not None
        next_cursor = Cursor(created_at=last.created_at, id=last.id).encode()
    return [_item(row, pii=pii) for row in rows], next_cursor


def export_reports(engine: Engine, filters: Filters, cap: int, *,
                   pii: bool) -> tuple[list[Item], bool]:
    """Up to ``cap`` reports, newest first, and whether more matched."""
    with Session(engine) as session:
        rows = session.execute(_report_query(filters).limit(cap + 1)).all()
    return [_item(row, pii=pii) for row in rows[:cap]], len(rows) > cap


def _scrub(detail: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in detail.items() if key not in PII_DETAIL_KEYS}


def _resident_actors(report: Report, reporter: Reporter | None) -> set[str]:
    """How the audit log names the resident: ``resident:<reporter id>`` (rows from before
    that rule: ``channel:platform user id``)."""
    actors = {f"{report.channel}:{report.chat_id}", f"resident:{report.channel}:unknown"}
    if reporter is not None:
        actors.add(f"{reporter.channel}:{reporter.platform_user_id}")
        actors.add(f"resident:{reporter.id}")
    return actors


def report_detail(engine: Engine, code: str, *, pii: bool) -> Item | None:
    """A report with its deliveries, acknowledgements, audit trail and media."""
    with Session(engine) as session:
        row = session.execute(_report_query(Filters()).where(col(Report.code) == code)).first()
        if row is None:
            return None
        report_id = row[0].id
        deliveries = session.exec(select(Delivery).where(Delivery.report_id == report_id)
                                  .order_by(col(Delivery.id))).all()
        acks = session.exec(select(Ack).where(Ack.report_id == report_id)
                            .order_by(col(Ack.at), col(Ack.id))).all()
        audits = session.exec(select(AuditLog).where(AuditLog.report_id == report_id)
                              .order_by(col(AuditLog.at), col(AuditLog.id))).all()
        media = session.exec(select(Media).where(Media.report_id == report_id)
                             .order_by(col(Media.id))).all()
    item = _item(row, pii=pii)
    item["deliveries"] = [
        {"role": d.role, "target_code": d.target_code, "channel": d.channel,
         "chat_id": d.chat_id, "status": d.status, "ack_state": d.ack_state,
         "acked_by": d.acked_by, "acked_at": _iso(d.acked_at), "sent_at": _iso(d.sent_at)}
        for d in deliveries
    ]
    item["acks"] = [
        {"action": a.action, "user_id": a.user_id, "user_name": a.user_name,
         "channel": a.channel, "chat_id": a.chat_id, "at": _iso(a.at)}
        for a in acks
    ]
    resident = _resident_actors(row[0], row[3])
    item["audit"] = [
        {"at": _iso(a.at), "actor": a.actor if pii or a.actor not in resident else "resident",
         "action": a.action,
         "detail": dict(a.detail or {}) if pii else _scrub(a.detail or {})}
        for a in audits
    ]
    item["media"] = [
        {"kind": m.kind, "status": m.status, "sha256": m.sha256, "mime": m.mime,
         "size": m.size}
        for m in media
    ]
    return item


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (the 'inclusive' method); None if empty."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def ward_stats(engine: Engine, ward: str, filters: Filters) -> Item:
    """Counts by status and category, time to first acknowledgement, open reports."""
    scope = [col(Report.ward_code) == ward]
    if filters.since is not None:
        scope.append(col(Report.created_at) >= filters.since)
    if filters.until is not None:
        scope.append(col(Report.created_at) < filters.until)
    first_ack = (
        select(col(Ack.report_id), sa.func.min(col(Ack.at)).label("first_at"))
        .group_by(col(Ack.report_id)).subquery()
    )
    with Session(engine) as session:
        by_status = session.execute(
            select(col(Report.status), sa.func.count()).where(*scope)
            .group_by(col(Report.status))).all()
        by_category = session.execute(
            select(col(Report.category), sa.func.count()).where(*scope)
            .group_by(col(Report.category))).all()
        firsts = session.execute(
            select(col(Report.created_at), first_ack.c.first_at)
            .join(first_ack, first_ack.c.report_id == col(Report.id)).where(*scope)).all()
        name = session.execute(
            select(col(Report.ward_name)).where(*scope, col(Report.ward_name).is_not(None))
            .order_by(col(Report.created_at).desc()).limit(1)).scalar()
    statuses: dict[str, int] = {s.value: 0 for s in ReportStatus}
    statuses.update({str(k): int(n) for k, n in by_status})
    categories: dict[str, int] = {c.value: 0 for c in Category}
    categories.update({str(k): int(n) for k, n in by_category})
    # The stored created_at/first_at both come back as aware UTC through UTCDateTime,
    # but the subquery's MIN() bypasses the type on SQLite: normalise before subtracting.
    delays = sorted(
        max(0.0, (_aware(first) - created).total_seconds()) for created, first in firsts
    )
    final = {s.value for s in FINAL_STATUSES}
    return {
        "ward_code": ward, "ward_name": name,
        "since": _iso(filters.since), "until": _iso(filters.until),
        "total": sum(statuses.values()),
        "by_status": statuses, "by_category": categories,
        "open": sum(n for s, n in statuses.items() if s not in final),
        "acknowledged": len(delays),
        "first_ack_median_s": percentile(delays, 0.5),
        "first_ack_p90_s": percentile(delays, 0.9),
    }


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
