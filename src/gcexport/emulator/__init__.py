"""A Genesys Cloud emulator: a seeded synthetic org served with the real API's shapes, limits, errors and faults.

It imports nothing from the rest of gcexport, so a misread of the API cannot be mirrored on both sides.

Example::

    from gcexport.emulator import Emulator, EmulatorConfig, serve

    emu = Emulator(EmulatorConfig(seed=1, conversations_per_day=1000))
    with serve(emu) as server:
        print(server.base_url)   # API at /api/v2/..., token at /oauth/token
"""

from __future__ import annotations

from gcexport.emulator.app import Emulator, RequestRecord, Truth
from gcexport.emulator.config import EmulatorConfig, FaultSpec
from gcexport.emulator.server import EmulatorServer, serve

__all__ = [
    "Emulator",
    "EmulatorConfig",
    "EmulatorServer",
    "FaultSpec",
    "RequestRecord",
    "Truth",
    "serve",
]
