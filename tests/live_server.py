"""A real uvicorn server in a background thread on a free loopback port (for Playwright and log tests)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from serving.api.server import bind_socket, uvicorn_config


@contextmanager
def running_server(app: FastAPI) -> Iterator[str]:
    """Logging is left alone, so uvicorn's and our records reach the root logger (and pytest's caplog)."""
    sock = bind_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(app, port=port, configure_logging=False))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
