"""Platform adapters found by name ("telegram", "zalo", "messenger"), like Rasa's channels.

A registry maps each name to the factory that builds its adapter from what the wiring
hands it; the wiring (``runtime``) loops over the enabled channels instead of testing each
platform in turn. It imports nothing of the project, so the adapters' contract (they import
only ``core``) holds whoever registers here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

W = TypeVar("W")  # what a factory is given (the settings it reads, shared resources)
A = TypeVar("A")  # what it builds
Factory = Callable[[W], A | None]


class UnknownAdapter(LookupError):
    """No adapter is registered under that name."""


class AdapterRegistry(Generic[W, A]):
    """Factories by platform name. A factory returns None when its platform cannot be
    built as configured (no credentials): that platform then has no adapter."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._factories: dict[str, Callable[[W], A | None]] = {}

    def register(self, name: str) -> Callable[[Callable[[W], A | None]],
                                              Callable[[W], A | None]]:
        """Decorator: ``@registry.register("telegram")`` over the platform's factory."""
        def add(factory: Callable[[W], A | None]) -> Callable[[W], A | None]:
            if name in self._factories:
                raise ValueError(f"a {self.what} is already registered as {name!r}")
            self._factories[name] = factory
            return factory
        return add

    def names(self) -> frozenset[str]:
        return frozenset(self._factories)

    def build(self, name: str, wiring: W) -> A | None:
        """The adapter registered as ``name``; UnknownAdapter names the known ones."""
        factory = self._factories.get(name)
        if factory is None:
            known = ", ".join(sorted(self._factories)) or "none"
            raise UnknownAdapter(f"no {self.what} is registered as {name!r} (known: {known})")
        return factory(wiring)
