"""`sosbot demo` runs only on its own database and Redis: a DATABASE_URL or REDIS_URL in the
environment may be a deployment's, whose queue the demo's workers would send to the
emulators."""

from __future__ import annotations

from pathlib import Path

import pytest

from sosbot.cli import main


@pytest.mark.parametrize(("name", "value", "shown"), [
    ("DATABASE_URL", "postgresql://sosbot:Pw9secret@db.internal/sosbot",
     "postgresql://…@db.internal/sosbot"),
    ("REDIS_URL", "redis://:Pw9secret@redis.internal:6379/0", "redis://…@redis.internal:6379/0"),
    ("REDIS_URL", "redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
])
def test_demo_refuses_services_from_the_environment(
        name: str, value: str, shown: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for other in ("DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(other, raising=False)
    monkeypatch.setenv(name, value)
    assert main(["demo", "--port", "9"]) == 2
    err = capsys.readouterr().err
    assert f"refusing to start on {name}={shown}" in err and "--use-external-services" in err
    assert "Pw9secret" not in err
    assert not (tmp_path / "var").exists(), "nothing was started or written"
