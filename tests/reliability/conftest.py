"""Fixtures of the reliability suite (helpers live in reliability_support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gcexport.emulator import Emulator, EmulatorServer, serve


@pytest.fixture
def served() -> Iterator[Any]:
    """Start a given emulator on 127.0.0.1; stopped at the end of the test."""
    servers: list[EmulatorServer] = []

    def _start(emu: Emulator) -> EmulatorServer:
        server = serve(emu, host="127.0.0.1", port=0).start()
        servers.append(server)
        return server

    yield _start
    for server in servers:
        server.stop()
