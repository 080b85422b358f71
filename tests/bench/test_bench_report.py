"""The report built from the committed results of a real `make bench` run."""

from __future__ import annotations

import json
from pathlib import Path

from bench import report

RESULTS = Path(report.__file__).resolve().parent / "results.json"


def test_the_committed_results_have_every_headline_figure() -> None:
    figures = json.loads(RESULTS.read_text())
    for key in report.REQUIRED_KEYS:
        assert key in figures, key
        if key != "measured_at":
            assert isinstance(figures[key], int | float), (key, figures[key])
    assert figures["details"]["quick"] is False


def test_the_report_covers_every_step() -> None:
    """headline() and render() on the shape every step produced in that run."""
    details = json.loads(RESULTS.read_text())["details"]
    figures = report.headline(details)
    for key in set(report.REQUIRED_KEYS) - {"measured_at"}:
        assert isinstance(figures[key], int | float), key
    markdown = report.render(details, figures)
    for section in ("## Goals", "1. Webhook ingest", "2. End to end", "3. Fan-out",
                    "4. Ward lookup", "5. Resident side", "6. Memory"):
        assert section in markdown, section
    assert len(report.goals(figures)) == 8
