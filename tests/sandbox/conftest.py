"""One `sosbot demo` (what `make demo` runs) for the sandbox's browser tests, and Chromium."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.e2e.harness import free_port

STARTUP_S = 90


@dataclass(frozen=True)
class Demo:
    url: str
    folder: Path

    def log(self) -> str:
        return (self.folder / "demo.log").read_text(errors="replace")


def start_demo(folder: Path, redis_url: str) -> tuple[subprocess.Popen[bytes], Demo]:
    """`sosbot demo` in ``folder`` on free ports; returns once the sandbox answers.

    The config names no ward files: the demo runs on the copies shipped in the package.
    """
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump({
        "queue": {"name": f"sosbot-sandbox-{uuid.uuid4().hex[:8]}", "sweep_interval_s": 2},
    }))
    ports = [free_port() for _ in range(4)]
    env = {**os.environ, "SOSBOT_CONFIG": str(config), "REDIS_URL": redis_url,
           "SOSBOT_LOG_LEVEL": "INFO"}
    for name in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET",
                 "TELEGRAM_API_BASE", "SOSBOT_MEDIA_DIR", "SOSBOT_PUBLIC_URL"):
        env.pop(name, None)
    log = (folder / "demo.log").open("wb")
    process = subprocess.Popen(
        # The test Redis, shared on purpose (a queue name of its own, above).
        [sys.executable, "-m", "sosbot.cli", "demo", "--use-external-services",
         "--port", str(ports[0]),
         "--telegram-port", str(ports[1]), "--zalo-port", str(ports[2]),
         "--messenger-port", str(ports[3])],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    demo = Demo(f"http://127.0.0.1:{ports[0]}/sandbox/", folder)
    deadline = time.monotonic() + STARTUP_S
    while True:
        try:
            with urllib.request.urlopen(demo.url, timeout=2) as response:
                if response.status == 200 and "sandbox" in demo.log():
                    return process, demo
        except (urllib.error.URLError, ConnectionError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop_demo(process)
            raise AssertionError(f"the demo did not start:\n{demo.log()}")
        time.sleep(0.3)


def stop_demo(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory,
         redis_url: str) -> Iterator[Demo]:
    process, running = start_demo(tmp_path_factory.mktemp("demo"), redis_url)
    try:
        yield running
    finally:
        code = stop_demo(process)
        assert code == 0, running.log()[-4000:]
