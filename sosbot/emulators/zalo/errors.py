"""Errors of the Zalo emulator's control API."""

from __future__ import annotations

from sosbot.emulators.common.control import ControlError  # noqa: F401  (re-exported)
