"""What the system did, newest last, read from the database: reports received, where each
was routed, when each card was delivered, acknowledgements and escalations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from sosbot.routing.rules import RoutingRules
from sosbot.storage.tables import Ack, AuditLog, Delivery, Report

Event = dict[str, Any]


def _ts(value: datetime | None) -> float:
    return value.timestamp() if value is not None else 0.0


def timeline(engine: Engine, rules: RoutingRules, limit: int = 120) -> list[Event]:
    """The newest ``limit`` events, oldest first."""
    with Session(engine) as session:
        reports = session.exec(select(Report).order_by(col(Report.id).desc()).limit(40)).all()
        if not reports:
            return []
        by_id = {r.id: r for r in reports}
        ids = list(by_id)
        delivered = session.exec(select(Delivery).where(col(Delivery.report_id).in_(ids))).all()
        acks = session.exec(select(Ack).where(col(Ack.report_id).in_(ids))).all()
        escalations = session.exec(select(AuditLog).where(
            col(AuditLog.report_id).in_(ids), AuditLog.action == "report.escalated")).all()
    events: list[Event] = []
    for report in reports:
        events.append({"at": _ts(report.created_at), "kind": "received", "code": report.code,
                       "channel": report.channel, "category": report.category,
                       "ward": report.ward_name or "", "duplicate": bool(report.duplicate_of_id)})
    units: dict[int, Any] = {}
    for delivery in delivered:
        code = by_id[delivery.report_id].code
        unit = _unit(rules, delivery.role, delivery.target_code)
        assert delivery.id is not None
        units[delivery.id] = unit
        base = {"code": code, "unit_vi": unit[0], "unit_en": unit[1],
                "channel": delivery.channel, "role": delivery.role}
        events.append({**base, "at": _ts(delivery.created_at), "kind": "routed"})
        if delivery.sent_at is not None:
            events.append({**base, "at": _ts(delivery.sent_at), "kind": "delivered"})
        if delivery.status == "failed":
            events.append({**base, "at": _ts(delivery.created_at), "kind": "failed",
                           "error": delivery.last_error or ""})
    for ack in acks:
        unit = units.get(ack.delivery_id or -1, ("", ""))
        events.append({"at": _ts(ack.at), "kind": "ack", "code": by_id[ack.report_id].code,
                       "action": ack.action, "who": ack.user_name, "channel": ack.channel,
                       "unit_vi": unit[0], "unit_en": unit[1]})
    for row in escalations:
        assert row.report_id is not None
        events.append({"at": _ts(row.at), "kind": "escalated", "code": by_id[row.report_id].code,
                       "level": row.detail.get("level"), "minutes": row.detail.get("minutes")})
    events.sort(key=lambda e: (e["at"], _ORDER.get(e["kind"], 9)))
    return events[-limit:]


_ORDER = {"received": 0, "routed": 1, "delivered": 2, "failed": 3, "ack": 4, "escalated": 5}


def _unit(rules: RoutingRules, role: str, code: str) -> tuple[str, str]:
    try:
        unit = rules.unit(role, code)
    except KeyError:
        return code, code
    return unit.vi, unit.en
