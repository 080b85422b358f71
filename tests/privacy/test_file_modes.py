"""The database and the media store are the service account's alone: folders 0700, files
0600, even under a permissive umask (022, a container's usual one)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sosbot.storage.db import make_engine
from sosbot.storage.media_scrub import OutgoingMedia
from sosbot.storage.media_store import MediaStore
from tests.privacy.steps import photo_with_gps


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_wal_and_shm_are_0600(
        tmp_path: Path, permissive_umask: None) -> None:
    database = tmp_path / "var" / "deep" / "sosbot.db"
    before = mode(tmp_path)
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (x TEXT)"))
            conn.execute(sa.text("INSERT INTO t VALUES ('Nguyễn Thị Lành')"))
        with engine.connect() as conn:  # an open connection keeps -wal and -shm there
            assert conn.execute(sa.text("SELECT count(*) FROM t")).scalar_one() == 1
            for suffix in ("", "-wal", "-shm"):
                path = Path(f"{database}{suffix}")
                assert path.exists(), path
                assert mode(path) == 0o600, (path, oct(mode(path)))
    finally:
        engine.dispose()
    assert mode(tmp_path / "var") == 0o700
    assert mode(tmp_path / "var" / "deep") == 0o700
    assert mode(tmp_path) == before  # an existing folder is the operator's: untouched


def test_an_existing_world_readable_database_is_tightened(
        tmp_path: Path, permissive_umask: None) -> None:
    database = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x TEXT)"))
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{database}{suffix}").exists():
            os.chmod(f"{database}{suffix}", 0o644)  # as a deployment before this rule left it
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT count(*) FROM t")).scalar_one()
            for suffix in ("", "-wal", "-shm"):
                path = Path(f"{database}{suffix}")
                if path.exists():
                    assert mode(path) == 0o600, (path, oct(mode(path)))
    finally:
        engine.dispose()


def test_stored_media_and_scrubbed_copies_are_0600_in_0700_folders(
        tmp_path: Path, permissive_umask: None) -> None:
    store = MediaStore(tmp_path / "media")
    stored = store.put(photo_with_gps())
    assert mode(stored.path) == 0o600
    folder = stored.path.parent
    while folder != tmp_path:
        assert mode(folder) == 0o700, folder
        folder = folder.parent
    scrubbed = OutgoingMedia(store).path_for(stored.sha256, stored.mime)
    assert scrubbed != stored.path
    assert mode(scrubbed) == 0o600
    assert mode(scrubbed.parent) == 0o700 and mode(scrubbed.parent.parent) == 0o700
