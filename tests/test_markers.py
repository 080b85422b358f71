"""``-m postgres`` selects every test that runs on PostgreSQL, however it was parametrised."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def _collected(*args: str) -> set[str]:
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                             "-p", "no:cacheprovider", *args], cwd=REPO, capture_output=True,
                            text=True, timeout=120, check=False)
    return {line for line in result.stdout.splitlines() if "::" in line}


def test_indirect_postgres_parameters_carry_the_mark() -> None:
    module = "tests/privacy/test_purge.py"
    everything = _collected(module)
    postgres = _collected(module, "-m", "postgres")
    others = _collected(module, "-m", "not postgres")
    assert postgres and postgres == {t for t in everything if "[postgres" in t}
    assert others == everything - postgres
