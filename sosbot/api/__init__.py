"""sosbot's read-only JSON API (reports, ward statistics, exports, its OpenAPI document)."""

from __future__ import annotations

from sosbot.api.app import Access, create_api_app
from sosbot.api.openapi import build_openapi

__all__ = ["Access", "build_openapi", "create_api_app"]
