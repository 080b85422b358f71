"""Send-rate rules a platform imposes; adapters declare them, routing enforces them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class RateRule:
    """One limit on sends sharing ``key``.

    ``bucket``: a token bucket of ``limit`` tokens refilled over ``period_s`` each (one per
    ``period_s``: ``limit`` is the burst). ``window``: at most ``limit`` sends in any
    rolling ``period_s`` seconds.
    """

    key: str
    kind: Literal["bucket", "window"]
    limit: int
    period_s: float
