"""Reporting exports (REFERENCE.md §7) — placeholder replaced below."""

from __future__ import annotations

from gcexport.emulator.backend import Backend
from gcexport.emulator.http import Routes


class ExportBook:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend


def add_routes(routes: Routes, book: ExportBook) -> None:
    """Register export routes."""
