"""Every answer given to the personal-data token is written to the keyed audit log first:
who (the token's fingerprint and the caller's address), when, and what (the route, its
query and the codes of the reports whose personal data went out).

Recorded before the answer leaves: a read that cannot be recorded is not served.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sosbot.storage import audit
from sosbot.storage.db import transaction
from sosbot.storage.tables import Report

log = logging.getLogger(__name__)

ACTION = "api.pii_read"
MAX_QUERY_CHARS = 500


def reader(pii_token: str) -> str:
    """The audit actor of a personal-data read: the token's fingerprint, so that reads
    before and after a token rotation are told apart without the token in the log."""
    return "api:pii-token:" + hashlib.sha256(pii_token.encode("utf-8")).hexdigest()[:12]


def record(engine: Engine, *, actor: str, remote: str | None, route: str, query: str,
           codes: Sequence[str], now: datetime) -> None:
    """One audit row for one answer; a single report's read also lands in its own trail."""
    with transaction(engine) as session:
        report_id = None
        if len(codes) == 1:
            report_id = session.exec(select(Report.id).where(col(Report.code) == codes[0])
                                     ).first()
        audit.record(session, actor=actor, action=ACTION, now=now, report_id=report_id,
                     detail={"route": route, "query": query[:MAX_QUERY_CHARS],
                             "remote": remote, "reports": len(codes), "codes": list(codes)})
    log.info("api: personal data of %d report(s) read by %s from %s on %s", len(codes), actor,
             remote, route)
