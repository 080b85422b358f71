"""The browser sandbox: residents on three platforms, officers' group chats and a timeline,
all played through the local emulators (see docs/SANDBOX.md)."""

from __future__ import annotations

from .app import create_sandbox_app
from .world import SandboxConfig

__all__ = ["SandboxConfig", "create_sandbox_app"]
