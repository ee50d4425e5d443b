"""Serve a WSGI emulator on loopback from a background thread (tests, ``bizops sandbox up``)."""

from __future__ import annotations

import functools
import logging
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

log = logging.getLogger(__name__)


class _RequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, logging each request through our logger at DEBUG."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, self.path, code)


@dataclass
class RunningServer:
    """A server accepting connections in a daemon thread until :meth:`stop`.

    Attributes:
        app: the WSGI application served.
        port: the TCP port it listens on.
        url: ``http://host:port`` (no trailing slash).
    """

    app: Any
    host: str
    port: int
    _server: BaseWSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def url(self) -> str:
        """Base URL of the server, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def serve(app: Any, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start serving ``app`` (threaded) and return once the port accepts connections.

    Args:
        app: a WSGI application.
        host: interface to bind; loopback by default.
        port: TCP port; 0 picks a free one.
    """
    server = make_server(host, port, app, threaded=True, request_handler=_RequestHandler)
    server.daemon_threads = True
    # A short poll interval makes stop() (shutdown) return in ~50 ms instead of 0.5 s.
    serve_forever = functools.partial(server.serve_forever, poll_interval=0.05)
    thread = threading.Thread(target=serve_forever, name=f"sandbox:{server.port}")
    thread.daemon = True
    thread.start()
    running = RunningServer(app, host, server.port, server, thread)
    _wait_until_accepting(host, server.port)
    log.info("serving %s at %s", type(app).__name__, running.url)
    return running


def _wait_until_accepting(host: str, port: int, attempts: int = 200) -> None:
    # The socket listens as soon as make_server returns; this makes the contract explicit and
    # also covers a serving thread that has not reached its accept loop yet.
    for _ in range(attempts):
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            threading.Event().wait(0.01)
    raise OSError(f"the sandbox server on {host}:{port} did not start accepting connections")
