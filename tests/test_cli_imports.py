"""Each command loads what it uses: `sosbot --help` and `ward-for` stay light, and the web
process never loads the digest's plotting (issue 21: 3.5 s for --help before)."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from typing import Any

import pytest

from sosbot.cli import COMMANDS, _parser

HEAVY = ("sqlalchemy", "sqlmodel", "aiohttp", "matplotlib", "telegram", "redis", "rq")


def _loaded_after(code: str) -> set[str]:
    """The top-level packages of HEAVY that ``code`` loads, run in a fresh interpreter."""
    probe = (f"import sys\n{code}\n"
             f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=120, check=True)
    return set(result.stdout.split())


def test_help_loads_no_runtime() -> None:
    assert _loaded_after("from sosbot.cli import _parser; _parser(['--help'])") == set()


def test_ward_for_loads_no_runtime() -> None:
    loaded = _loaded_after("from sosbot.cli import _parser; "
                           "_parser(['ward-for', '10.77', '106.69'])")
    assert loaded == set()


def test_the_web_process_never_loads_matplotlib() -> None:
    loaded = _loaded_after("import sosbot.runtime, sosbot.webhooks, sosbot.intake.take, "
                           "sosbot.officers.group_chat")
    assert "matplotlib" not in loaded
    assert "aiohttp" in loaded  # the probe did load the web process's modules


class _Recorder:
    def __init__(self) -> None:
        self.names: list[str] = []

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        self.names.append(name)
        return argparse.ArgumentParser(prog=name)


@pytest.mark.parametrize("module_name", sorted({m for m, _ in COMMANDS.values()}))
def test_every_command_a_module_defines_is_in_the_table(module_name: str) -> None:
    recorder = _Recorder()
    importlib.import_module(f"sosbot.cli.{module_name}").register(recorder)
    assert sorted(recorder.names) == sorted(n for n, (m, _) in COMMANDS.items()
                                            if m == module_name)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_parses_its_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        _parser([command, "--help"]).parse_args([command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: sosbot {command}" in capsys.readouterr().out


def test_the_command_list_shows_every_command_with_its_help(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser(["--help"]).parse_args(["--help"])
    listing = capsys.readouterr().out
    for name, (_, help_text) in COMMANDS.items():
        assert name in listing and help_text.split()[0] in listing
