"""Conversation aggregates (REFERENCE.md §6) — placeholder replaced below."""

from __future__ import annotations

from gcexport.emulator.backend import Backend
from gcexport.emulator.http import Routes


def add_routes(routes: Routes, backend: Backend) -> None:
    """Register the aggregates query."""
