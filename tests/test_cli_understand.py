"""``sosbot understand``: the category from keywords, the place and its candidate wards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sosbot.cli.understand import guess_category
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
    assert out["category"] == "fire"
    assert out["place_text"] == "Tân Phú, đường Âu Cơ"
    assert out["candidates"] == [{"ward_code": "27031", "ward_name": "Tân Phú",
                                  "lat": out["candidates"][0]["lat"],
                                  "lon": out["candidates"][0]["lon"], "how": "gazetteer"}]


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


@pytest.mark.parametrize(("text", "category"), [
    ("Có cháy ở chợ Tân Phú", "fire"), ("co chay o cho tan phu", "fire"),
    ("tai nạn ở ngã tư Hàng Xanh", "traffic"), ("va cham xe o cau sai gon", "traffic"),
    ("có trộm vào nhà", "security"), ("đánh nhau trước chợ", "security"),
    ("chạy nhanh qua cầu", None),  # "chạy" (run) is not "cháy" (fire)
    ("mất điện cả khu", None),
])
def test_the_category_comes_from_a_few_keywords(text: str, category: str | None) -> None:
    assert guess_category(text) == category


def test_understand_loads_no_runtime() -> None:
    loaded = _loaded_after("from sosbot.cli import _parser; _parser(['understand', 'x'])")
    assert loaded == set()
