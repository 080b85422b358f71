"""What sosbot spends on each platform: messages to residents counted by month and kind.

Zalo counts a CS message as a free *reply* or a *proactive* one against the OA's quota
(docs/platforms/zalo.md); a send the platform refused for its quota is counted as
*refused*. One row per (channel, month, kind), incremented in the transaction that records
the send; the digest shows the month's counts.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from sosbot.storage.db import InsertMissing
from sosbot.storage.tables import PlatformUsage

REFUSED = "refused"  # sends the platform refused for its quota or billing

_TABLE: sa.Table = PlatformUsage.__table__  # type: ignore[attr-defined]
_CREATE = InsertMissing(_TABLE, ("channel", "month", "kind", "sent"),
                        key=("channel", "month", "kind"))
_BUMP = sa.update(_TABLE).where(
    _TABLE.c.channel == sa.bindparam("c"), _TABLE.c.month == sa.bindparam("m"),
    _TABLE.c.kind == sa.bindparam("k")).values(sent=_TABLE.c.sent + 1).returning(
    _TABLE.c.sent)


def month_of(at: datetime) -> str:
    """The month a send counts in: ``2026-12`` (UTC, as the platforms' quotas reset)."""
    return at.strftime("%Y-%m")


def count(session: Session, channel: str, kind: str, at: datetime) -> int:
    """One more ``kind`` message on ``channel`` in ``at``'s month; the month's count now.
    Two workers counting at once wait for each other on the row, never lose a count."""
    month = month_of(at)
    _CREATE(session, [{"channel": channel, "month": month, "kind": kind, "sent": 0}])
    return int(session.connection().execute(_BUMP, {"c": channel, "m": month,
                                                    "k": kind}).scalar_one())


def of_month(session: Session, at: datetime) -> dict[str, dict[str, int]]:
    """``at``'s month: channel → kind → count."""
    out: dict[str, dict[str, int]] = {}
    rows = session.exec(select(PlatformUsage).where(PlatformUsage.month == month_of(at)))
    for row in rows:
        out.setdefault(row.channel, {})[row.kind] = row.sent
    return out
