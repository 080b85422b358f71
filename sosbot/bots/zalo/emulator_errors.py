"""Errors of the Zalo emulator's control API."""

from __future__ import annotations


class ControlError(Exception):
    """A malformed or impossible control request; answered 400 (or ``status``) as JSON."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
