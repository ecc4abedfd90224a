"""Serving an `Emulator` over loopback HTTP with the standard library's ThreadingHTTPServer."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gcexport.emulator.app import Emulator
    from gcexport.emulator.tenants import Tenants


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = (
        True  # headers and body are two writes; Nagle would stall each page ~40 ms
    )
    server: _Server

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        base = f"http://{headers.get('host', self.server.base_host)}"
        outcome = self.server.emulator.respond(
            self.command, path, query, headers, body, base_url=base
        )
        if outcome.slow:
            time.sleep(
                self.server.emulator.config.slow_seconds
            )  # real time: the client's timeout is real too
        if outcome.reply is None:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        reply = outcome.reply
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.body:
            self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: `emulator.requests` is the log."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], emulator: Emulator | Tenants) -> None:
        self.emulator = emulator
        super().__init__(address, _Handler)
        self.base_host = f"{self.server_address[0]!s}:{self.server_address[1]}"


class EmulatorServer:
    """A running server; `base_url` serves the API (/api/v2/...) and login (/oauth/token).

    Use it as a context manager (background thread), or call `serve_forever()` to block,
    e.g. from the CLI: ``with serve(emu, port=8080) as s: print(s.base_url); s.serve_forever()``.
    """

    def __init__(self, emulator: Emulator | Tenants, host: str, port: int) -> None:
        self._server = _Server((host, port), emulator)
        self._thread: threading.Thread | None = None
        self._serving = False
        bound_host, bound_port = self._server.server_address[:2]
        self.base_url = f"http://{bound_host!s}:{bound_port}"

    def start(self) -> EmulatorServer:
        """Serve in a daemon thread."""
        self._serving = True
        self._thread = threading.Thread(target=self._loop, name="gcexport-emulator", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        self._server.serve_forever(poll_interval=0.05)

    def serve_forever(self) -> None:
        """Block until interrupted (Ctrl-C) or `stop()` is called from another thread."""
        if self._thread is not None:
            while self._thread.is_alive():
                self._thread.join(0.5)
            return
        self._serving = True
        try:
            self._loop()
        finally:
            self._server.server_close()

    def stop(self) -> None:
        """Stop serving and release the port (safe to call when never started)."""
        if self._serving:
            self._server.shutdown()
            self._serving = False
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(emulator: Emulator | Tenants, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
    """A server bound to host:port (0 = any free port); enter it to start serving in the background."""
    return EmulatorServer(emulator, host, port)
