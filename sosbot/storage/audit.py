"""The audit log as a keyed hash chain: every row carries the hash of the one before it.

Each row's ``row_hash`` is the HMAC-SHA256, keyed with ``SOSBOT_AUDIT_KEY`` (from the
environment, never in the database), of a canonical serialisation of its content (id, at,
actor, action, report_id, detail) and of ``prev_hash``, the previous row's ``row_hash``.
Changing, deleting or inserting a row anywhere breaks the chain at that row or the next;
:func:`verify` walks it and names the first broken row. Without the key, someone who can
write to the database cannot re-hash the rows they changed: a plain SHA-256 (the chain
before it was keyed) or an HMAC with another key is reported at that row.

Writers in several processes append at once, so the chain must stay one line: the rows of
a transaction are written at its commit, under a lock (PostgreSQL: a transaction-scoped
advisory lock; SQLite: ``BEGIN IMMEDIATE`` already lets one writer in at a time). Taking
the lock last, just before the commit, means a transaction never waits for the lock while
holding row locks another one waits for: no deadlock, and the lock is held for
milliseconds.

Rows written before the chain existed (migration 0003) have no hashes; the chain starts at
the first hashed row, and every row after it must be hashed. Rows hashed before the chain
was keyed are re-hashed once with the key by ``sosbot audit rekey`` (:func:`rekey`), after
their unkeyed chain has been checked.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, select

from sosbot.storage.driver_statements import DriverStatement, flushed
from sosbot.storage.tables import AuditLog

GENESIS = "0" * 64
# Any fixed 64-bit number: the key of the advisory lock that serialises appends.
CHAIN_LOCK_KEY = 0x736F73_6175646974  # "sos" "audit"
_PENDING = "sosbot.audit.pending"
MIN_KEY_LENGTH = 32

_key: bytes | None = None


class AuditKeyMissing(RuntimeError):
    """No audit key configured: the chain can be neither extended nor checked."""


def use_key(key: str) -> None:
    """Key the chain with ``key`` (``SOSBOT_AUDIT_KEY``) in this process; called once at
    start-up by the wiring (runtime.engine_for)."""
    global _key
    if not key:
        raise AuditKeyMissing("SOSBOT_AUDIT_KEY is empty")
    _key = key.encode("utf-8")


def configured_key() -> bytes:
    if _key is None:
        raise AuditKeyMissing("SOSBOT_AUDIT_KEY is not set: the audit log can be neither "
                              "written nor verified")
    return _key


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str
    action: str
    report_id: int | None
    detail: dict[str, Any]


def normalized_detail(detail: dict[str, Any]) -> dict[str, Any]:
    """``detail`` as it reads back from the JSON column (tuples become lists, and so on)."""
    value = json.loads(json.dumps(detail, ensure_ascii=False, allow_nan=False, default=str))
    assert isinstance(value, dict)
    return value


def canonical(row_id: int, at: datetime, actor: str, action: str, report_id: int | None,
              detail: dict[str, Any], prev_hash: str) -> bytes:
    """The bytes a row's hash covers: sorted-key compact JSON, UTC time to the microsecond."""
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(
        {"id": row_id, "at": stamp, "actor": actor, "action": action,
         "report_id": report_id, "detail": detail, "prev_hash": prev_hash},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False,
    ).encode("utf-8")


def row_hash(row_id: int, at: datetime, actor: str, action: str, report_id: int | None,
             detail: dict[str, Any], prev_hash: str, *, key: bytes) -> str:
    """The HMAC-SHA256 of the row's canonical bytes under ``key``."""
    return hmac.new(key, canonical(row_id, at, actor, action, report_id, detail, prev_hash),
                    hashlib.sha256).hexdigest()


def unkeyed_hash(row_id: int, at: datetime, actor: str, action: str, report_id: int | None,
                 detail: dict[str, Any], prev_hash: str) -> str:
    """The plain SHA-256 the chain used before it was keyed (anyone can compute it)."""
    return hashlib.sha256(canonical(row_id, at, actor, action, report_id, detail,
                                    prev_hash)).hexdigest()


def hash_of(row: AuditLog | _Stored, key: bytes) -> str:
    """What ``row.row_hash`` must be, recomputed from the row as stored."""
    assert row.id is not None
    return row_hash(row.id, row.at, row.actor, row.action, row.report_id, row.detail,
                    row.prev_hash or "", key=key)


def unkeyed_hash_of(row: AuditLog | _Stored) -> str:
    assert row.id is not None
    return unkeyed_hash(row.id, row.at, row.actor, row.action, row.report_id, row.detail,
                        row.prev_hash or "")


def record(session: Session, *, actor: str, action: str, now: datetime,
           report_id: int | None = None, detail: dict[str, Any] | None = None) -> None:
    """Append an audit row when this session's transaction commits (nothing on rollback).

    ``detail`` must not hold personal data (names, phone numbers, descriptions, platform
    user ids of residents): the chain is never rewritten, so ``sosbot purge`` could not
    remove it.
    """
    if now.tzinfo is None:
        raise ValueError("naive datetime given to the audit log")
    if not session.in_transaction():
        # Begin now, so that however the transaction ends without a commit (rollback,
        # close), the entry goes with it instead of surfacing in a later commit.
        session.connection()
    pending: list[Entry] = session.info.setdefault(_PENDING, [])
    pending.append(Entry(at=now, actor=actor, action=action, report_id=report_id,
                         detail=normalized_detail(detail or {})))


@event.listens_for(OrmSession, "before_commit")
def _append_pending(session: OrmSession) -> None:
    pending: list[Entry] = session.info.pop(_PENDING, [])
    if not pending:
        return
    key = configured_key()  # no key: the transaction fails rather than go unrecorded
    session.flush()  # the rows the entries refer to (new reports) first
    dialect = session.get_bind().dialect.name
    _lock_chain(session, dialect)
    prev, ids = _head_and_next_ids(session, dialect, len(pending))
    rows = []
    for row_id, entry in zip(ids, pending, strict=True):
        digest = row_hash(row_id, entry.at, entry.actor, entry.action, entry.report_id,
                          entry.detail, prev, key=key)
        rows.append({"id": row_id, "at": entry.at, "actor": entry.actor,
                     "action": entry.action, "report_id": entry.report_id,
                     "detail": entry.detail, "prev_hash": prev, "row_hash": digest})
        prev = digest
    # One pipeline of INSERTs on the driver, no ORM objects: rows only ever appended,
    # never read back here.
    _INSERT.many(session.connection(), rows)


def _lock_chain(session: OrmSession, dialect: str) -> None:
    # SQLite needs nothing: BEGIN IMMEDIATE let this transaction in alone.
    if dialect == "postgresql":
        _LOCK_CHAIN.rows(flushed(session), {"key": CHAIN_LOCK_KEY})


@event.listens_for(OrmSession, "after_transaction_end")
def _forget_pending(session: OrmSession, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit (rollback, or a session closed
    # mid-way): its entries go with it. A savepoint's end leaves them queued.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


_INSERT = DriverStatement(sa.insert(AuditLog.__table__).values(  # type: ignore[attr-defined]
    {name: sa.bindparam(name) for name in ("id", "at", "actor", "action", "report_id", "detail",
                                           "prev_hash", "row_hash")}))
_LAST_HASH = (select(AuditLog.row_hash).where(col(AuditLog.row_hash).is_not(None))
              .order_by(col(AuditLog.id).desc()).limit(1))
# PostgreSQL, once the chain's lock is held: the last row's hash and the next ids, in one
# round trip. The id is part of the hash, so it is taken before the insert (no UPDATE
# afterwards), and only under the lock, so the chain's order is the ids' order.
# (Both on the driver's cursor: storage.driver_statements.)
_HEAD_AND_IDS = DriverStatement(sa.text(
    "SELECT (SELECT row_hash FROM audit_log WHERE row_hash IS NOT NULL "
    "ORDER BY id DESC LIMIT 1), "
    "ARRAY(SELECT nextval(pg_get_serial_sequence('audit_log', 'id')) "
    "FROM generate_series(1, :n))"))
_LOCK_CHAIN = DriverStatement(sa.text("SELECT pg_advisory_xact_lock(:key)"))


def _head_and_next_ids(session: OrmSession, dialect: str,
                       count: int) -> tuple[str, list[int]]:
    """The chain's last hash (GENESIS when it is empty) and ``count`` ids for new rows."""
    if dialect == "postgresql":
        head, ids = _HEAD_AND_IDS.rows(flushed(session), {"n": count})[0]
        return head or GENESIS, sorted(int(i) for i in ids)
    prev = session.execute(_LAST_HASH).scalar_one_or_none() or GENESIS
    # SQLite: the one writer holds the database lock, so max + 1 onwards are ours.
    last = session.execute(select(sa.func.max(AuditLog.id))).scalar_one_or_none()
    return prev, list(range(int(last or 0) + 1, int(last or 0) + 1 + count))


@dataclass
class Verdict:
    """The outcome of walking the chain."""

    rows: int = 0  # every row seen
    unhashed_before_chain: int = 0  # rows from before the chain existed (not checked)
    checked: int = 0  # hashed rows whose hash and link were checked
    head_id: int | None = None
    head_hash: str | None = None
    broken_id: int | None = None
    reason: str = ""
    anchors_checked: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken_id is None and not self.reason


_COLUMNS = [col(AuditLog.id), col(AuditLog.at), col(AuditLog.actor), col(AuditLog.action),
            col(AuditLog.report_id), col(AuditLog.detail), col(AuditLog.prev_hash),
            col(AuditLog.row_hash)]


class _Stored(NamedTuple):
    id: int
    at: datetime
    actor: str
    action: str
    report_id: int | None
    detail: dict[str, Any]
    prev_hash: str | None
    row_hash: str | None


def _rows(session: Session, batch: int) -> Iterator[_Stored]:
    # Keyset pages of plain rows: constant memory, no ORM identity map to fill.
    after = 0
    while True:
        page = session.execute(sa.select(*_COLUMNS).where(col(AuditLog.id) > after)
                               .order_by(col(AuditLog.id)).limit(batch)).all()
        if not page:
            return
        for values in page:
            yield _Stored(*values)
        after = page[-1].id


def verify(session: Session, *, anchors: dict[int, str] | None = None,
           batch: int = 5000, key: bytes | None = None) -> Verdict:
    """Walk the whole chain in id order; stop at the first broken row.

    ``anchors`` are (row id → row hash) pairs recorded elsewhere earlier (``sosbot audit
    verify`` prints the head to record): each must still be in the chain with that hash,
    which also catches rows cut off the end. ``key`` defaults to the configured one.
    """
    key = configured_key() if key is None else key
    verdict = Verdict()
    wanted = dict(anchors or {})
    prev: str | None = None  # None: the chain has not started yet
    for row in _rows(session, batch):
        assert row.id is not None
        verdict.rows += 1
        if row.row_hash is None and row.prev_hash is None and prev is None:
            verdict.unhashed_before_chain += 1
            if row.id in wanted:
                return _broken(verdict, row.id, "an anchored row has no hash")
            continue
        expected_prev = GENESIS if prev is None else prev
        if row.row_hash is None or row.prev_hash is None:
            return _broken(verdict, row.id, "row without a hash inside the chain "
                                            "(inserted or altered)")
        if row.prev_hash != expected_prev:
            return _broken(verdict, row.id, "does not follow the previous row "
                                            "(a row before it was deleted, inserted or altered)")
        if hash_of(row, key) != row.row_hash:
            if unkeyed_hash_of(row) == row.row_hash:
                return _broken(verdict, row.id, UNKEYED_REASON)
            return _broken(verdict, row.id, "content does not match its hash (altered, or "
                                            "hashed with another key)")
        if row.id in wanted and wanted.pop(row.id) != row.row_hash:
            return _broken(verdict, row.id, "hash differs from the anchor recorded earlier")
        if row.id in (anchors or {}):
            verdict.anchors_checked.append(row.id)
        prev = row.row_hash
        verdict.checked += 1
        verdict.head_id, verdict.head_hash = row.id, row.row_hash
    if wanted:
        missing = min(wanted)
        verdict.broken_id = missing
        verdict.reason = "anchored row is missing (deleted or cut off the end)"
    return verdict


UNKEYED_REASON = ("hashed without the audit key (plain SHA-256): re-hashed by someone "
                  "without the key, or written before the chain was keyed (then run "
                  "`sosbot audit rekey` once, see README)")


@dataclass
class Rekeyed:
    """The outcome of :func:`rekey`."""

    unkeyed: int = 0  # rows re-hashed with the key
    keyed: int = 0  # rows already keyed, re-linked to the re-hashed ones before them
    head_id: int | None = None
    head_hash: str | None = None
    refused: Verdict | None = None  # the chain was broken: nothing was changed


def rekey(session: Session, *, batch: int = 5000) -> Rekeyed:
    """Re-hash, with the configured key, a chain started before it was keyed.

    Allowed only on a chain whose rows, in id order, are first all unkeyed (plain SHA-256)
    and then all keyed, every link intact: what an upgrade leaves. Anything else (a keyed
    row between unkeyed ones, a broken link, a row matching neither) is refused and nothing
    changes. Run with the service stopped, right after upgrading: an unkeyed chain can be
    rewritten by anyone with database access, so ``rekey`` blesses what it finds.
    """
    key = configured_key()
    _lock_chain(session, session.get_bind().dialect.name)
    outcome = Rekeyed()
    prev: str | None = None
    seen_keyed = False
    plan: list[_Stored] = []
    for row in _rows(session, batch):
        if row.row_hash is None and row.prev_hash is None and prev is None:
            continue  # from before the chain: never hashed, left so
        expected_prev = GENESIS if prev is None else prev
        if row.row_hash is None or row.prev_hash != expected_prev:
            outcome.refused = _broken(Verdict(), row.id, "broken link: nothing re-hashed")
            return outcome
        if hash_of(row, key) == row.row_hash:
            seen_keyed = True
            outcome.keyed += 1
        elif seen_keyed or unkeyed_hash_of(row) != row.row_hash:
            outcome.refused = _broken(Verdict(), row.id, "neither an unkeyed row before the "
                                      "keyed ones nor keyed with this key: nothing re-hashed")
            return outcome
        else:
            outcome.unkeyed += 1
        plan.append(row)
        prev = row.row_hash
    new_prev = GENESIS
    table = AuditLog.__table__  # type: ignore[attr-defined]
    for row in plan:
        digest = row_hash(row.id, row.at, row.actor, row.action, row.report_id, row.detail,
                          new_prev, key=key)
        if (digest, new_prev) != (row.row_hash, row.prev_hash):
            session.execute(sa.update(table).where(table.c.id == row.id)
                            .values(prev_hash=new_prev, row_hash=digest))
        new_prev = digest
        outcome.head_id, outcome.head_hash = row.id, digest
    return outcome


def _broken(verdict: Verdict, row_id: int, reason: str) -> Verdict:
    verdict.broken_id, verdict.reason = row_id, reason
    return verdict
