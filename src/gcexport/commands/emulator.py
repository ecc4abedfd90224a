"""`gcexport emulator serve`: build the emulator from flags, serve it on loopback, print its base URL."""

from __future__ import annotations

import signal
import sys
import threading
from datetime import timedelta
from types import FrameType

from gcexport.errors import ConfigError

__all__ = ["serve_emulator"]


def serve_emulator(
    *,
    host: str,
    port: int,
    seed: int,
    conversations_per_day: int,
    rate_limit: int,
    faults: str,
    client_id: str,
    client_secret: str,
    availability_lag_hours: float,
    modes: tuple[str, ...] = (),
) -> int:
    """Serve until SIGTERM or Ctrl-C; returns the exit code.

    The emulator runs on the tool's clock, so `GCEXPORT_NOW` starts it at that instant too (read
    here, before it listens: a bad value is bad input).
    """
    from gcexport.clock import SystemClock
    from gcexport.emulator import Emulator, EmulatorConfig, serve

    clock = SystemClock()
    clock.now()

    try:
        config = EmulatorConfig(
            seed=seed,
            conversations_per_day=conversations_per_day,
            rate_limit=rate_limit,
            faults=faults,
            client_id=client_id,
            client_secret=client_secret,
            availability_lag=timedelta(hours=availability_lag_hours),
            modes=modes,
        )
    except ValueError as exc:
        raise ConfigError(f"Emulator settings are invalid: {exc}") from None
    try:
        server = serve(Emulator(config, clock), host=host, port=port)
    except OSError as exc:
        raise ConfigError(f"Cannot listen on {host}:{port}: {exc.strerror}.") from None
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    with server:
        print(server.base_url, flush=True)
        print(
            f"GENESYS_API_URL={server.base_url} GENESYS_LOGIN_URL={server.base_url} "
            f"GENESYS_CLIENT_ID={client_id} GENESYS_CLIENT_SECRET=<the --client-secret you gave>",
            file=sys.stderr,
            flush=True,
        )
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0
