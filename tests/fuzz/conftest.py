"""Fuzzing budgets. ``SOSBOT_FUZZ_PROFILE=long`` (or ``HYPOTHESIS_PROFILE``) for a long run;
the default ``ci`` profile keeps the properties inside CI's budget and is derandomized (the
same examples on every run, so CI never passes or fails by chance); ``long`` is random."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=int(os.environ.get("SOSBOT_FUZZ_EXAMPLES", "300")), deadline=None,
    derandomize=True, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much])
settings.register_profile(
    "long", max_examples=int(os.environ.get("SOSBOT_FUZZ_EXAMPLES", "20000")), deadline=None,
    database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much])
FUZZ_PROFILE = os.environ.get("SOSBOT_FUZZ_PROFILE", "ci")
