"""Group chats bound to wards, departments, the command centre and the escalation chat."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, select

from sosbot.storage.driver_statements import DriverStatement, flushed
from sosbot.storage.tables import AuditLog, Binding, BindingCode

ACTIVE = "active"
DEAD = "dead"
KINDS = ("ward", "department", "command", "escalation")
# No 0/O, 1/I/L: a code is read out over the phone and typed on a small keyboard.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def normalize_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def create_code(session: Session, kind: str, target: str, now: datetime,
                ttl: timedelta) -> str:
    """A new single-use code (``ABCD-EF23``); only its hash is stored."""
    if kind not in KINDS:
        raise ValueError(f"unknown binding kind {kind!r}")
    code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    session.add(BindingCode(code_hash=_hash(code), target_kind=kind, target_code=target,
                            created_at=now, expires_at=now + ttl))
    return f"{code[:4]}-{code[4:]}"


def redeem(session: Session, code: str, *, channel: str, chat_id: str, title: str, by: str,
           now: datetime) -> Binding | None:
    """Bind the chat with a valid code (used up here); None when the code is not valid."""
    row = session.exec(
        select(BindingCode).where(BindingCode.code_hash == _hash(code),
                                  col(BindingCode.used_at).is_(None),
                                  BindingCode.expires_at > now).with_for_update()
    ).first()
    if row is None:
        return None
    row.used_at = now
    row.used_chat = f"{channel}:{chat_id}"
    binding = by_chat(session, channel, chat_id)
    if binding is None:
        binding = Binding(channel=channel, chat_id=chat_id, target_kind=row.target_kind,
                          target_code=row.target_code, bound_at=now)
        session.add(binding)
    binding.target_kind, binding.target_code = row.target_kind, row.target_code
    binding.title, binding.bound_by, binding.bound_at = title[:256], by[:128], now
    binding.status, binding.dead_at, binding.dead_reason = ACTIVE, None, None
    session.flush()
    return binding


def failed_attempts(session: Session, channel: str, chat_id: str, since: datetime) -> int:
    """Refused /bind attempts from one chat since ``since`` (against guessing)."""
    return int(session.exec(
        select(sa.func.count()).select_from(AuditLog).where(
            AuditLog.action == "binding.refused", AuditLog.at >= since,
            AuditLog.actor == f"{channel}:{chat_id}")
    ).one())


def by_chat(session: Session, channel: str, chat_id: str) -> Binding | None:
    return session.exec(select(Binding).where(Binding.channel == channel,
                                              Binding.chat_id == chat_id)).first()


def active_for(session: Session, kind: str, target: str) -> list[BoundChat]:
    """The chats bound (actively) to one target, oldest binding first."""
    return chats_for_targets(session, [(kind, target)])[(kind, target)]


_BINDINGS: sa.Table = Binding.__table__  # type: ignore[attr-defined]
# The chats of targets (a fan-out's run for every report routed), on the driver's cursor:
# the active bindings of the targets' codes, oldest first; a code another kind of target
# shares is left out by the caller.
_BOUND_CHATS = DriverStatement(sa.select(
    _BINDINGS.c.id, _BINDINGS.c.target_kind, _BINDINGS.c.target_code, _BINDINGS.c.channel,
    _BINDINGS.c.chat_id).where(
    _BINDINGS.c.target_code.in_(sa.bindparam("codes", expanding=True)),
    _BINDINGS.c.status == ACTIVE).order_by(_BINDINGS.c.id), named=True)


class BoundChat(Protocol):
    """A chat bound to a target, as a fan-out reads it."""

    id: int
    target_kind: str
    target_code: str
    channel: str
    chat_id: str


def chats_for_targets(session: Session, targets: list[tuple[str, str]]
                      ) -> dict[tuple[str, str], list[BoundChat]]:
    """The chats bound (actively) to each (kind, code) target, oldest binding first, in one
    statement, as plain rows (no ORM objects)."""
    found: dict[tuple[str, str], list[BoundChat]] = {target: [] for target in targets}
    if not targets:
        return found
    for row in _BOUND_CHATS.rows(flushed(session),
                                 {"codes": sorted({code for _, code in targets})}):
        chats = found.get((row.target_kind, row.target_code))  # type: ignore[attr-defined]
        if chats is not None:
            chats.append(row)  # type: ignore[arg-type]
    return found


def mark_dead(binding: Binding, reason: str, now: datetime) -> None:
    binding.status, binding.dead_at, binding.dead_reason = DEAD, now, reason[:256]


def move_chat(session: Session, channel: str, old_chat_id: str, new_chat_id: str) -> None:
    """A group became a supergroup: its binding follows it."""
    binding = by_chat(session, channel, old_chat_id)
    if binding is not None and by_chat(session, channel, new_chat_id) is None:
        binding.chat_id = new_chat_id


def all_bindings(session: Session) -> list[Binding]:
    return list(session.exec(select(Binding).order_by(col(Binding.target_kind),
                                                      col(Binding.target_code))).all())


def active_counts(session: Session) -> dict[str, int]:
    """How many group chats are bound, per kind (every kind listed, 0 when none)."""
    counts = dict.fromkeys(KINDS, 0)
    rows = session.execute(sa.select(col(Binding.target_kind), sa.func.count())
                           .where(col(Binding.status) == ACTIVE)
                           .group_by(col(Binding.target_kind))).all()
    for kind, count in rows:
        counts[str(kind)] = int(count)
    return counts
