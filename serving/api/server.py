"""Running the API with uvicorn, with logs that never print a request body or a query string.

uvicorn's access log prints the full path with its query string, so it is off; our GuardMiddleware logs the route
template, status and duration instead. Unhandled exceptions never reach uvicorn (GuardMiddleware answers them).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI

from serving.api.main import create_app
from serving.api.resources import Resources, load_resources
from serving.api.settings import Settings


def log_config(level: str = "INFO") -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s : %(message)s"}},
        # Safety net: every record is redacted before it is written (a slip that logs a note leaks tags only).
        "filters": {"redact": {"()": "pipeline.redaction.RedactingFilter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
                "filters": ["redact"],
            }
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "motifs": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
    }


def uvicorn_config(
    app: FastAPI, *, host: str = "127.0.0.1", port: int = 8000, level: str = "INFO", configure_logging: bool = True
) -> uvicorn.Config:
    """`configure_logging=False` leaves logging alone (records propagate to the root logger: tests capture them)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,
        log_config=log_config(level) if configure_logging else None,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=5,
    )


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    announce: Callable[[Resources], None] | None = None,
) -> None:
    """Load the model, taxonomy and database first (a missing model is one clean error, not a traceback from
    uvicorn's lifespan), call `announce`, then serve until interrupted."""
    resources = load_resources(settings)
    if announce is not None:
        announce(resources)
    app = create_app(settings, loader=lambda _settings: resources)
    uvicorn.Server(uvicorn_config(app, host=host, port=port)).run()


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket (port 0: a free one) to hand to `uvicorn.Server.serve(sockets=[...])`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


__all__ = ["Resources", "bind_socket", "log_config", "serve", "uvicorn_config"]
