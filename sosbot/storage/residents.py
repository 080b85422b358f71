"""What the system remembers about a resident as a reporter: recent reports, their ward,
and the command centre's block list."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from sosbot.storage.driver_statements import DriverStatement, flushed
from sosbot.storage.tables import AuditLog, Report, Reporter

_REPORTS: sa.Table = Report.__table__  # type: ignore[attr-defined]
# Built once: it runs for every report submitted.
_CREATED_SINCE = DriverStatement(sa.select(_REPORTS.c.created_at).where(
    _REPORTS.c.channel == sa.bindparam("channel"), _REPORTS.c.chat_id == sa.bindparam("chat_id"),
    _REPORTS.c.created_at >= sa.bindparam("since")).order_by(_REPORTS.c.created_at))


def created_since(session: Session, channel: str, chat_id: str,
                  since: datetime) -> list[datetime]:
    """When this chat's reports since ``since`` were made, oldest first."""
    return [at for (at,) in _CREATED_SINCE.rows(flushed(session), {
        "channel": channel, "chat_id": chat_id, "since": since})]


def recent_reports(session: Session, channel: str, chat_id: str, since: datetime,
                   limit: int) -> list[Report]:
    """This chat's reports made since ``since``, newest first, at most ``limit``."""
    return list(session.exec(select(Report).where(
        Report.channel == channel, Report.chat_id == chat_id, Report.created_at >= since)
        .order_by(col(Report.created_at).desc(), col(Report.id).desc()).limit(limit)).all())


def last_ward(session: Session, channel: str, chat_id: str) -> tuple[str, str] | None:
    """(code, name) of the ward of this chat's most recent report that had one."""
    row = session.exec(select(Report.ward_code, Report.ward_name).where(
        Report.channel == channel, Report.chat_id == chat_id,
        col(Report.ward_code).is_not(None))
        .order_by(col(Report.created_at).desc(), col(Report.id).desc())).first()
    if row is None or row[0] is None:
        return None
    return row[0], row[1] or row[0]


def audited_since(session: Session, *, actor: str, action: str, since: datetime) -> bool:
    return session.exec(select(AuditLog.id).where(
        AuditLog.actor == actor, AuditLog.action == action, AuditLog.at >= since)
        .limit(1)).first() is not None


def find(session: Session, channel: str, user_id: str) -> Reporter | None:
    return session.exec(select(Reporter).where(Reporter.channel == channel,
                                               Reporter.platform_user_id == user_id)).first()


def block(reporter: Reporter, *, by: str, reason: str, now: datetime) -> bool:
    """Put the resident on the block list; False when they already were."""
    if reporter.blocked_at is not None:
        return False
    reporter.blocked_at, reporter.blocked_by = now, by[:128]
    reporter.blocked_reason = reason[:256] or None
    return True


def unblock(reporter: Reporter) -> bool:
    if reporter.blocked_at is None:
        return False
    reporter.blocked_at = reporter.blocked_by = reporter.blocked_reason = None
    return True
