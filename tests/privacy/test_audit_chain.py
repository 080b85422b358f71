"""The audit log is a keyed hash chain: altering, deleting or inserting a row is caught, a
row re-hashed without the key too, and the chain stays one line when many processes append
at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from sosbot.cli import main
from sosbot.storage import audit
from sosbot.storage.db import transaction
from sosbot.storage.reports import audit as write_audit
from sosbot.storage.tables import AuditLog

T0 = datetime(2026, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)


def append(engine: Engine, count: int, *, start: int = 0) -> None:
    for n in range(start, start + count):
        with transaction(engine) as session:
            write_audit(session, actor=f"telegram:{9100 + n % 3}", action="report.ack",
                        now=T0 + timedelta(seconds=n), state="acknowledged", n=n,
                        chat="telegram:-100123", note="Đã tiếp nhận")


def verdict(engine: Engine, anchors: dict[int, str] | None = None) -> audit.Verdict:
    with transaction(engine) as session:
        return audit.verify(session, anchors=anchors)


def ids(engine: Engine) -> list[int]:
    with transaction(engine) as session:
        return [i for i in session.exec(select(AuditLog.id).order_by(col(AuditLog.id))).all()
                if i is not None]


def test_an_untouched_chain_verifies(engine: Engine) -> None:
    append(engine, 12)
    result = verdict(engine)
    assert result.ok, result.reason
    assert (result.rows, result.checked) == (12, 12)
    with transaction(engine) as session:
        rows = session.exec(select(AuditLog).order_by(col(AuditLog.id))).all()
    assert rows[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.row_hash for a, b in zip(rows, rows[1:], strict=False))
    assert result.head_hash == rows[-1].row_hash


def test_a_rolled_back_transaction_leaves_no_audit_row(engine: Engine) -> None:
    append(engine, 2)
    with pytest.raises(RuntimeError), transaction(engine) as session:
        write_audit(session, actor="system", action="report.escalated", now=T0, level=1)
        raise RuntimeError("the change failed")
    append(engine, 1, start=2)
    assert len(ids(engine)) == 3
    assert verdict(engine).ok


def test_a_session_closed_without_commit_leaves_no_audit_row(engine: Engine) -> None:
    session = Session(engine)
    write_audit(session, actor="system", action="report.escalated", now=T0, level=1)
    session.close()  # abandoned: the entry must not surface in the session's next commit
    with session.begin():
        write_audit(session, actor="system", action="report.escalated", now=T0, level=2)
    session.close()
    with transaction(engine) as check:
        levels = [row.detail["level"] for row in check.exec(select(AuditLog)).all()]
    assert levels == [2]
    assert verdict(engine).ok


def test_altered_content_is_caught_at_that_row(engine: Engine) -> None:
    append(engine, 10)
    target = ids(engine)[4]
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor = 'telegram:1' WHERE id = :id"),
                     {"id": target})
    result = verdict(engine)
    assert not result.ok
    assert result.broken_id == target
    assert "altered" in result.reason


def test_altered_detail_and_time_are_caught(engine: Engine) -> None:
    append(engine, 6)
    first, second = ids(engine)[1], ids(engine)[3]
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET at = :at WHERE id = :id"),
                     {"id": second, "at": datetime(2026, 3, 1, 9, 0)})
    assert verdict(engine).broken_id == second
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET detail = :d WHERE id = :id"),
                     {"id": first, "d": '{"state": "resolved"}'})
    assert verdict(engine).broken_id == first  # the first broken row is named


def test_a_deleted_row_is_caught_at_the_next_one(engine: Engine) -> None:
    append(engine, 10)
    all_ids = ids(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE id = :id"), {"id": all_ids[5]})
    result = verdict(engine)
    assert result.broken_id == all_ids[6]
    assert "deleted" in result.reason


def test_deleting_the_first_hashed_row_is_caught(engine: Engine) -> None:
    append(engine, 4)
    all_ids = ids(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE id = :id"), {"id": all_ids[0]})
    assert verdict(engine).broken_id == all_ids[1]


def test_an_inserted_row_is_caught(engine: Engine) -> None:
    append(engine, 5)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO audit_log (at, actor, action, detail) "
            "VALUES (:at, 'telegram:9101', 'report.ack', '{}')"), {"at": datetime(2026, 3, 2)})
    inserted = ids(engine)[-1]
    assert verdict(engine).broken_id == inserted
    append(engine, 2, start=5)  # later writers chain on, the forged row stays flagged
    assert verdict(engine).broken_id == inserted


def test_an_inserted_row_with_a_made_up_hash_is_caught(engine: Engine) -> None:
    append(engine, 5)
    with transaction(engine) as session:
        forged_at = datetime(2026, 3, 2, tzinfo=UTC)
    # Right link, right algorithm, but the middle of the chain: the next row no longer follows.
    middle = ids(engine)[2]
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE id = :id"), {"id": middle})
    with transaction(engine) as session:
        before = session.exec(select(AuditLog).where(AuditLog.id == middle - 1)).one()
    digest = audit.row_hash(middle, forged_at, "system", "report.ack", None, {},
                            before.row_hash or "", key=audit.configured_key())
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO audit_log (id, at, actor, action, detail, prev_hash, row_hash) "
            "VALUES (:id, :at, 'system', 'report.ack', '{}', :prev, :hash)"),
            {"id": middle, "at": forged_at.replace(tzinfo=None), "prev": before.row_hash,
             "hash": digest})
    result = verdict(engine)
    assert result.broken_id == middle + 1


def test_rows_from_before_the_chain_are_counted_not_checked(engine: Engine) -> None:
    with engine.begin() as conn:
        for n in range(3):
            conn.execute(sa.text("INSERT INTO audit_log (at, actor, action, detail) "
                                 "VALUES (:at, 'system', 'report.created', '{}')"),
                         {"at": datetime(2025, 1, 1 + n)})
    append(engine, 4)
    result = verdict(engine)
    assert result.ok, result.reason
    assert (result.unhashed_before_chain, result.checked) == (3, 4)


def test_an_anchor_catches_rows_cut_off_the_end(engine: Engine) -> None:
    append(engine, 8)
    head = verdict(engine)
    assert head.head_id is not None and head.head_hash is not None
    anchors = {head.head_id: head.head_hash}
    assert verdict(engine, anchors=anchors).ok
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE id >= :id"),
                     {"id": head.head_id - 2})
    assert verdict(engine).ok  # the chain alone cannot see a cut end …
    cut = verdict(engine, anchors=anchors)  # … the anchor kept outside can
    assert cut.broken_id == head.head_id
    assert "missing" in cut.reason


def test_concurrent_writers_keep_one_line(engine: Engine) -> None:
    """PostgreSQL: the advisory lock; SQLite: BEGIN IMMEDIATE."""
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(worker: int) -> None:
        try:
            start.wait()
            for n in range(25):
                with transaction(engine) as session:
                    write_audit(session, actor=f"worker:{worker}", action="report.ack",
                                now=datetime.now(UTC), n=n)
                    write_audit(session, actor=f"worker:{worker}", action="report.status",
                                now=datetime.now(UTC), n=n)
        except BaseException as exc:  # collected and re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = verdict(engine)
    assert result.ok, result.reason
    assert result.checked == 8 * 25 * 2


def test_the_cli_verifies_and_names_the_broken_row(
        engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SOSBOT_CONFIG", str(tmp_path / "none.yaml"))
    append(engine, 5)
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "5 in the chain" in out and "chain intact; head" in out
    head = out.split("head ", 1)[1].split()[0]
    assert main(["audit", "verify", "--anchor", head]) == 0
    target = ids(engine)[2]
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET action = 'report.deleted' WHERE id = :id"),
                     {"id": target})
    assert main(["audit", "verify"]) == 1
    assert f"BROKEN at row {target}" in capsys.readouterr().err
    assert main(["audit", "verify", "--anchor", "x:y"]) == 2


# --- the key --------------------------------------------------------------------------

def rewrite(engine: Engine, row_id: int, actor: str, *, key: bytes | None) -> None:
    """What someone with database access would do: change a row and re-hash it (and the
    rows after it) so that every link holds — with plain SHA-256 or a key of their own."""
    with transaction(engine) as session:
        rows = session.exec(select(AuditLog).where(col(AuditLog.id) >= row_id)
                            .order_by(col(AuditLog.id))).all()
        prev = rows[0].prev_hash or ""
        for row in rows:
            assert row.id is not None
            if row.id == row_id:
                row.actor = actor
            digest = (audit.unkeyed_hash if key is None else
                      partial(audit.row_hash, key=key))(
                row.id, row.at, row.actor, row.action, row.report_id, row.detail, prev)
            row.prev_hash, row.row_hash = prev, digest
            prev = digest


@pytest.mark.parametrize("key", [None, b"a-key-of-the-intruder-0123456789abcdef"],
                         ids=["sha256", "other-key"])
def test_a_row_rewritten_and_rehashed_without_the_key_is_caught(
        engine: Engine, key: bytes | None) -> None:
    append(engine, 8)
    target = ids(engine)[3]
    rewrite(engine, target, "telegram:1", key=key)
    result = verdict(engine)
    assert result.broken_id == target
    assert ("without the audit key" if key is None else "another key") in result.reason
    # The same rewrite by whoever holds the key would pass: the key is what protects.
    rewrite(engine, target, "telegram:2", key=audit.configured_key())
    assert verdict(engine).ok


def test_verify_with_another_key_fails_at_the_first_row(engine: Engine) -> None:
    append(engine, 3)
    with transaction(engine) as session:
        result = audit.verify(session, key=b"not-the-key-of-this-deployment-0000")
    assert result.broken_id == ids(engine)[0] and "another key" in result.reason


def test_no_key_no_audit_row(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "_key", None)
    with pytest.raises(audit.AuditKeyMissing), transaction(engine) as session:
        write_audit(session, actor="system", action="report.escalated", now=T0, level=1)
    assert ids(engine) == []  # the change it came with was not committed either


def unkeyed_chain(engine: Engine, count: int) -> None:
    """Rows as the chain before it was keyed wrote them (plain SHA-256)."""
    prev = audit.GENESIS
    with transaction(engine) as session:
        for n in range(count):
            at = T0 + timedelta(seconds=n)
            digest = audit.unkeyed_hash(n + 1, at, "system", "report.escalated", None,
                                        {"n": n}, prev)
            session.add(AuditLog(id=n + 1, at=at, actor="system", action="report.escalated",
                                 detail={"n": n}, prev_hash=prev, row_hash=digest))
            prev = digest


def test_rekey_turns_an_upgraded_chain_into_a_keyed_one(
        engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SOSBOT_CONFIG", str(tmp_path / "none.yaml"))
    unkeyed_chain(engine, 4)
    if engine.dialect.name == "postgresql":  # the ids were given: move the sequence on
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('audit_log', 'id'), 4)"))
    append(engine, 3, start=4)  # the upgraded service chains keyed rows on
    before = verdict(engine)
    assert before.broken_id == 1 and "sosbot audit rekey" in before.reason
    assert main(["audit", "verify"]) == 1
    assert "BROKEN at row 1: hashed without the audit key" in capsys.readouterr().err
    assert main(["audit", "rekey"]) == 0
    assert "4 rows re-hashed with the key, 3 already keyed" in capsys.readouterr().out
    after = verdict(engine)
    assert after.ok and after.checked == 7
    assert main(["audit", "rekey"]) == 0  # twice is harmless
    assert "0 rows re-hashed with the key, 7 already keyed" in capsys.readouterr().out


def test_rekey_refuses_an_unkeyed_row_after_keyed_ones(
        engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    append(engine, 6)
    target = ids(engine)[4]
    rewrite(engine, target, "telegram:1", key=None)  # an intruder's rewrite after upgrading
    with transaction(engine) as session:
        outcome = audit.rekey(session)
    assert outcome.refused is not None and outcome.refused.broken_id == target
    assert verdict(engine).broken_id == target  # nothing was changed
