"""``sosbot understand``: the category and the place as the conversation reads them, and the
candidate wards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sosbot.core.understanding import understand
from tests.test_cli_imports import _loaded_after


def _understand(*args: str, env_extra: dict[str, str] | None = None) -> str:
    import os

    env = {k: v for k, v in os.environ.items() if k != "SOSBOT_GEOCODER_URL"}
    env.update(env_extra or {})
    result = subprocess.run([sys.executable, "-m", "sosbot.cli", "--log-level", "WARNING",
                             "understand", *args], capture_output=True, text=True,
                            timeout=120, check=True, env=env)
    return result.stdout


def test_json_output_names_the_category_place_and_candidates(tmp_path: Path) -> None:
    out = json.loads(_understand("--json", "Có cháy ở chợ Tân Phú, đường Âu Cơ, cứu với!",
                                 env_extra={"SOSBOT_CONFIG": str(tmp_path / "none.yaml")}))
    assert set(out) == {"category", "place_text", "candidates"}
    assert out["category"] == "fire"
    assert out["place_text"] == "chợ Tân Phú, đường Âu Cơ"
    first = out["candidates"][0]
    assert first == {"ward_code": "27031", "ward_name": "Tân Phú", "lat": first["lat"],
                     "lon": first["lon"], "how": "gazetteer"}


def test_a_district_gives_its_wards_and_no_category(tmp_path: Path) -> None:
    out = json.loads(_understand("--json", "Q.Tân Phú",
                                 env_extra={"SOSBOT_CONFIG": str(tmp_path / "none.yaml")}))
    assert out["category"] is None and out["place_text"] == "Q.Tân Phú"
    assert {c["how"] for c in out["candidates"]} == {"district"}
    assert len(out["candidates"]) == 6


def test_the_text_output_lists_the_candidates(tmp_path: Path) -> None:
    out = _understand("số 5 Nguyễn Huệ, quận 1",
                      env_extra={"SOSBOT_CONFIG": str(tmp_path / "none.yaml")})
    assert "1. Sài Gòn (26740)" in out and "by street-number" in out and "[offline]" in out


@pytest.mark.parametrize("text", [
    "bi giut dt o nga tu hang xanh",  # words only the conversation's reader knew
    "có con cá sấu trong hồ",
    "chạy nhanh qua cầu",  # "chạy" (run) is not "cháy" (fire): no category
    "xe tong nhau roi chay luon",
])
def test_the_category_is_the_one_the_conversation_reads(tmp_path: Path, text: str) -> None:
    out = json.loads(_understand("--json", text,
                                 env_extra={"SOSBOT_CONFIG": str(tmp_path / "none.yaml")}))
    expected = understand(text).category
    assert out["category"] == (expected.value if expected is not None else None)


def test_the_text_output_names_the_category(tmp_path: Path) -> None:
    out = _understand("giựt dây chuyền ở phố đi bộ Nguyễn Huệ",
                      env_extra={"SOSBOT_CONFIG": str(tmp_path / "none.yaml")})
    assert "category: security" in out


def test_understand_loads_no_runtime() -> None:
    loaded = _loaded_after("from sosbot.cli import _parser; _parser(['understand', 'x'])")
    assert loaded == set()
