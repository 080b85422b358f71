"""The one-time location page: a resident opens a link, the phone (or a tap on the ward map)
gives the point, and the point goes back to their conversation.

The lead mounts :func:`create_location_app` under :data:`PREFIX` (``/l``) and hands out
links made with :meth:`LocationTokens.issue`.
"""

from __future__ import annotations

from .app import PREFIX, OnPoint, create_location_app
from .shapes import build_ward_shapes
from .tokens import LocationTicket, LocationTokens

__all__ = ["PREFIX", "LocationTicket", "LocationTokens", "OnPoint", "build_ward_shapes",
           "create_location_app"]
